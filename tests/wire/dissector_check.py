#!/usr/bin/env python3
# Checks what tools/wireshark/mxoe.lua decoded from a capture of an
# mxw_xfer exchange (ns_dissector.sh): tshark -T fields output on stdin,
# the MTU, the field list and mxw_xfer.c (for its size classes) as
# arguments.  The expectations come from Open-MX 1.5's native layout and
# from what mxw_xfer sends (match = size class << 32 | round).
import re
import sys
from collections import defaultdict

mtu = int(sys.argv[1])
R = mtu - 32                      # pull reply payload: MTU counts the Ethernet header
FIELDS = sys.argv[2].split(",")
src = open(sys.argv[3]).read()
SIZES = [eval(x.replace("u", "")) for x in
         re.search(r"sizes\[\] = \{([^}]*)\}", src).group(1).replace("\n", " ").split(",")]
# where medium ends and rendezvous starts is the sender's limit: checked
# from what was seen (every medium shorter than every rendezvous)
LARGE = [x for x in SIZES if x > 128]
rndv_lengths = []
errors = []


kinds = set()


def fail(msg):
    kind = msg.split(":", 1)[-1].split()[0:2]
    if len(errors) < 30 and (len(errors) < 8 or tuple(kind) not in kinds):
        errors.append(msg)
    kinds.add(tuple(kind))


def num(v):
    v = v.split(",")[0] if v else v
    return int(v, 0) if v else None


types = defaultdict(int)
mediums = defaultdict(lambda: {"len": set(), "frags": {}, "count": set(), "match": set()})
pulls = {}
replies = []
statuses = set()
nframes = 0
for line in sys.stdin:
    row = dict(zip(FIELDS, line.rstrip("\n").split("\t")))
    nframes += 1
    t = num(row["mxoe.type"])
    types[t] += 1
    flen = num(row["frame.len"])
    if flen > mtu:
        fail(f"frame {nframes}: {flen} bytes on the wire over MTU {mtu} (type {t})")
    if row.get("_ws.expert"):
        fail(f"frame {nframes}: expert info {row['_ws.expert']}")
    if t in (37, 38):
        ln, match = num(row["mxoe.length"]), num(row["mxoe.match"])
        if (t == 37) != (ln <= 32):
            fail(f"frame {nframes}: type {t} with length {ln}")
        if match == 0xd0d0d0d000000000 and ln == 0:
            pass                  # mxw_xfer's end-of-exchange marker
        elif match >> 32 >= len(SIZES) or SIZES[match >> 32] != ln:
            fail(f"frame {nframes}: length {ln} but match {match:#x}")
    elif t == 39:
        m = mediums[(row["eth.src"], num(row["mxoe.seqnum"]))]
        m["len"].add(num(row["mxoe.length32"]))
        m["match"].add(num(row["mxoe.match"]))
        m["frags"][num(row["mxoe.frag_seqnum"])] = num(row["mxoe.frag_length"])
        if row["mxoe.frag_count"]:
            m["count"].add(num(row["mxoe.frag_count"]))
    elif t == 40:
        rndv_lengths.append(num(row["mxoe.msg_length"]))
        if num(row["mxoe.length"]) != 8 or num(row["mxoe.msg_length"]) not in LARGE:
            fail(f"frame {nframes}: RNDV length {row['mxoe.length']} msg {row['mxoe.msg_length']}")
    elif t == 41:
        total, blk = num(row["mxoe.total_length"]), num(row["mxoe.block_length"])
        if total not in LARGE or not 0 < blk <= 32 * R:
            fail(f"frame {nframes}: PULL total {total} block {blk}")
        pulls[(num(row["mxoe.pull_handle"]), num(row["mxoe.pull_magic"]))] = total
    elif t == 42:
        replies.append((nframes, num(row["mxoe.pull_handle"]), num(row["mxoe.pull_magic"]),
                        num(row["mxoe.frame_seqnum"]), num(row["mxoe.frame_length"]),
                        num(row["mxoe.msg_offset"])))
    elif t == 43:
        if num(row["mxoe.total_length"]) not in LARGE:
            fail(f"frame {nframes}: NOTIFY total {row['mxoe.total_length']}")
    elif t == 4:
        name, n = row["mxoe.hostname"], num(row["mxoe.name_length"])
        if not re.fullmatch(r"[ab][0-9]+(:0)?", name or "") or n != len(name) + 1:
            fail(f"frame {nframes}: HOST_REPLY name {name!r} length {n} (Open-MX counts the NUL)")
    elif t == 35:
        if num(row["mxoe.truc.type"]) != 0x55:
            fail(f"frame {nframes}: TRUC type {row['mxoe.truc.type']}")
    elif t == 36 and row["mxoe.connect.status"]:
        statuses.add(num(row["mxoe.connect.status"]))

for need, what in ((3, "HOST_QUERY"), (4, "HOST_REPLY"), (35, "TRUC"), (36, "CONNECT"),
                   (37, "TINY"), (38, "SMALL"), (39, "MEDIUM"), (40, "RNDV"), (41, "PULL"),
                   (42, "PULL_REPLY"), (43, "NOTIFY"), (44, "NACK_LIB")):
    if not types[need]:
        fail(f"no {what} decoded")
if statuses != {0, 11}:
    fail(f"connect reply statuses {sorted(statuses)}, want success and bad key (11)")

full = 0
for key, m in mediums.items():
    if len(m["len"]) != 1 or len(m["match"]) != 1:
        fail(f"medium {key}: lengths {m['len']} matches {m['match']}")
        continue
    ln, match = m["len"].pop(), m["match"].pop()
    if ln not in LARGE or SIZES[match >> 32] != ln or ln >= min(rndv_lengths, default=1 << 32):
        fail(f"medium {key}: length {ln} for match {match:#x}")
    if sum(m["frags"].values()) != ln or sorted(m["frags"]) != list(range(len(m["frags"]))):
        fail(f"medium {key}: fragments {sorted(m['frags'].items())} do not make {ln} bytes")
    if m["count"] and m["count"] != {len(m["frags"])}:
        fail(f"medium {key}: frag count {m['count']} but {len(m['frags'])} fragments")
    full = max([full] + [v for k, v in m["frags"].items() if k < len(m["frags"]) - 1])
if full > mtu - 48:
    fail(f"a medium fragment of {full} bytes does not fit MTU {mtu}")

for n, h, magic, fseq, flen, off in replies:
    total = pulls.get((h, magic))
    if total is None:
        fail(f"frame {n}: PULL_REPLY for no pull")
    elif off % R or (off // R) % 256 != fseq or not 0 < flen <= R or off + flen > total:
        fail(f"frame {n}: PULL_REPLY frame {fseq} offset {off} length {flen} (R={R}, total {total})")

print(f"MTU {mtu}: {nframes} frames, types {dict(sorted(types.items()))}, "
      f"{len(mediums)} mediums, {len(pulls)} pull blocks, {len(replies)} pull replies")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
