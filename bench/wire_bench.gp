# Plot of bench/wire_bench.sh: latency and bandwidth against size, MX vs UDP.
#   gnuplot -e "lat='LAT.csv'; bw='BW.csv'; out='OUT.png'; sub='...'" bench/wire_bench.gp
# Inputs: the latency_us and bandwidth_mbps rows of the bench CSV
# (kind,bytes,mx,udp,ratio).
set datafile separator ","
set terminal pngcairo size 1000,460 noenhanced font ",10"
set output out
set multiplot layout 1,2 title "MXoE vs kernel UDP over one veth, same run (".sub.")"
set grid
set key top left
set logscale x 2
set format x "%.0b%B"
set logscale y 10
set xlabel "message size (bytes)"
set title "ping-pong latency (half round trip)"
set ylabel "latency (us)"
plot lat using ($2 > 0 ? $2 : 0.5):3 with linespoints title "MXoE (myribackd)", \
     lat using ($2 > 0 ? $2 : 0.5):4 with linespoints title "kernel UDP"
set title "streaming bandwidth"
set ylabel "MB/s"
plot bw using 2:3 with linespoints title "MXoE (myribackd)", \
     bw using 2:4 with linespoints title "kernel UDP"
unset multiplot
