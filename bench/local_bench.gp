# Plots of bench/local_bench.sh: gnuplot -e "dir='OUT'" bench/local_bench.gp
# Inputs: DIR/{mx_pair,mx_daemon,shm,pipe,unix,udp}.csv (bytes,latency_us,mb_per_s),
#         DIR/pairs.dat (path pairs rate cs/msg syscalls/msg daemon-syscalls/msg daemon-ns/msg
#         cpu-us/msg)
set datafile separator ","
set terminal pngcairo size 900,560 noenhanced font ",10"
set key top left
set grid
set logscale x 2
set xlabel "message size (bytes)"
series = "mx_pair mx_daemon pipe unix udp shm"
names = "'MX, pair channel' 'MX, through the daemon' 'pipe' 'UNIX socket' 'UDP loopback' 'shared memory, spinning (floor)'"
set output dir."/local_latency.png"
set title "Local ping-pong latency (half round trip)"
set ylabel "latency (us)"
set logscale y 10
plot for [i=1:words(series)] dir."/".word(series,i).".csv" every ::1 using ($1 > 0 ? $1 : 0.5):2 \
	with linespoints title word(names,i)
set output dir."/local_bandwidth.png"
set title "Local ping-pong bandwidth (size / half round trip)"
set ylabel "MB/s"
unset logscale y
set key top left
plot for [i=1:words(series)] dir."/".word(series,i).".csv" every ::1 using ($1 > 0 ? $1 : 0.5):3 \
	with linespoints title word(names,i)
set output dir."/local_pairs.png"
set datafile separator whitespace
set title "Concurrent 8 B ping-pong pairs: aggregate one-way message rate"
set xlabel "pairs (2 processes each)"
set ylabel "messages / s"
unset logscale x
set logscale x 10
set xrange [0.8:50]
set xtics ("1" 1, "10" 10, "40" 40)
set yrange [0:*]
set key bottom left
kinds = "mx_pair mx_daemon pipe"
knames = "'MX, pair channels' 'MX, through the daemon' 'pipe'"
plot for [i=1:words(kinds)] dir."/pairs.dat" using 2:(strcol(1) eq word(kinds,i) ? $3 : NaN) \
	with linespoints title word(knames,i)
