#!/usr/bin/env python3
"""Independent MXoE (Open-MX 1.5 native wire) decoder for captured frames.

Reads a classic pcap (as tcpdump -w writes it), decodes every EtherType
0x86DF frame with explicit big-endian offsets taken from the Open-MX layout
(not from the C structs), and checks each field for plausibility and
cross-frame consistency: connect lengths and session ids, message lengths
against the bytes present, medium fragment geometry, pull-reply offsets,
TRUC ack type.  Prints a per-type summary; exit 1 on any violation, or if
a type listed in --require was not seen.

--mtu N (default 9000) is Open-MX's MTU, the whole frame with its Ethernet
header: no frame may exceed it, every medium fragment but a message's last
holds exactly the medium size of N, and the largest pull reply carries
N - 32 bytes.
"""
import struct
import os
import sys

VERBOSE = bool(os.environ.get("MXW_DECODE_VERBOSE"))

TYPES = {3: "HOST_QUERY", 4: "HOST_REPLY", 35: "TRUC", 36: "CONNECT", 37: "TINY",
         38: "SMALL", 39: "MEDIUM", 40: "RNDV", 41: "PULL", 42: "PULL_REPLY",
         43: "NOTIFY", 44: "NACK_LIB", 45: "NACK_MCP"}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    if linktype != 1:
        raise SystemExit("pcap link type %d is not Ethernet" % linktype)
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(endian + "I", data, off + 8)[0]
        yield data[off + 16: off + 16 + incl]
        off += 16 + incl


def medium_frag_max(mtu):
    """Open-MX's OMX_MEDIUM_FRAG_LENGTH_MAX for OMX_MTU = mtu (omx_wire.h)."""
    room = mtu - 16 - 32
    if room <= 4096:
        return room
    return 8192 if 8192 + 48 <= mtu else 4096


def main():
    args = sys.argv[1:]
    require = []
    mtu = 9000
    if "--mtu" in args:
        i = args.index("--mtu")
        mtu = int(args[i + 1])
        args = args[:i] + args[i + 2:]
    reply_max = 0
    if "--require" in args:
        i = args.index("--require")
        require = args[i + 1].split(",")
        args = args[:i] + args[i + 2:]
    errors = []
    seen = {}
    sessions = set()   # endpoint sessions announced by connects
    medium_frag = None

    def bad(n, msg):
        errors.append("frame %d: %s" % (n, msg))

    for n, fr in enumerate(frames(args[0])):
        if len(fr) < 17 or struct.unpack_from(">H", fr, 12)[0] != 0x86DF:
            continue
        ptype = fr[16] & 0x7F
        name = TYPES.get(ptype)
        if name is None:
            bad(n, "unknown packet type %d" % ptype)
            continue
        seen[name] = seen.get(name, 0) + 1
        if len(fr) > mtu:
            bad(n, "%s frame of %d bytes above the MTU %d" % (name, len(fr), mtu))
        b = 16  # body offset: after the 14-byte Ethernet header and the 2-byte peer index
        if name in ("TINY", "SMALL", "MEDIUM", "RNDV"):
            # native Open-MX: 32-bit message length in a MEDIUM, 16 elsewhere
            length = struct.unpack_from(">I" if name == "MEDIUM" else ">H", fr, b + 4)[0]
            seq, piggy = struct.unpack_from(">HH", fr, b + 8)
            match = struct.unpack_from(">Q", fr, b + 12)[0]
            session = struct.unpack_from(">I", fr, b + 20)[0]
            if sessions and session not in sessions:
                bad(n, "%s to session %08x that no connect announced" % (name, session))
            if name == "TINY":
                if length > 32 or len(fr) < b + 24 + length:
                    bad(n, "tiny length %d in a %d-byte frame" % (length, len(fr)))
            elif name == "SMALL":
                if length <= 32 or length > 128 or len(fr) < b + 24 + length:
                    bad(n, "small length %d" % length)
            elif name == "MEDIUM":
                flen = struct.unpack_from(">H", fr, b + 24)[0]
                fseq = fr[b + 26]
                if len(fr) < b + 32 + flen or (len(fr) > 60 and len(fr) != b + 32 + flen):
                    bad(n, "medium frag_length %d but %d bytes follow" % (flen, len(fr) - b - 32))
                if length <= 128:
                    bad(n, "medium of length %d" % length)
                if medium_frag is None and flen < length:
                    medium_frag = flen
                fmax = medium_frag_max(mtu)
                last = (length + fmax - 1) // fmax - 1
                want = fmax if fseq < last else length - last * fmax
                if fseq > last or flen != want:
                    bad(n, "medium frag %d of %d bytes: %d at MTU %d" % (fseq, length, flen, mtu))
            else:
                msg_length = struct.unpack_from(">I", fr, b + 24)[0]
                if length != 8 or msg_length > (16 << 20):
                    bad(n, "rndv length %d msg_length %d" % (length, msg_length))
        elif name == "CONNECT":
            if fr[b + 4] != 16:
                bad(n, "connect data length %d" % fr[b + 4])
            is_reply = fr[b + 26]
            if VERBOSE:
                print("connect: dst_ep %d src_ep %d reply %d status %d ssid %08x key/target %08x" % (
                    fr[b + 1], fr[b + 2], is_reply, fr[b + 28],
                    struct.unpack_from(">I", fr, b + 16)[0], struct.unpack_from(">I", fr, b + 20)[0]))
            if is_reply not in (0, 1):
                bad(n, "is_reply %d" % is_reply)
            if not is_reply:
                # the connecter's own session: the connectee sends to it
                sessions.add(struct.unpack_from(">I", fr, b + 16)[0])
            if is_reply:
                status = fr[b + 28]
                if status not in (0, 11):
                    bad(n, "connect status %d" % status)
                if status == 0:
                    sessions.add(struct.unpack_from(">I", fr, b + 20)[0])
                    seen["CONNECT_OK"] = seen.get("CONNECT_OK", 0) + 1
                else:
                    seen["CONNECT_BAD_KEY"] = seen.get("CONNECT_BAD_KEY", 0) + 1
        elif name == "PULL":
            total, rid = struct.unpack_from(">II", fr, b + 8)
            ffo, blen, fidx = struct.unpack_from(">III", fr, b + 32)
            if blen == 0 or blen > total or ffo > 9000:
                bad(n, "pull total %d block %d first_frame_offset %d" % (total, blen, ffo))
        elif name == "PULL_REPLY":
            flen = struct.unpack_from(">H", fr, b + 2)[0]
            moff = struct.unpack_from(">I", fr, b + 4)[0]
            if len(fr) < b + 16 + flen or (len(fr) > 60 and len(fr) != b + 16 + flen):
                bad(n, "pull reply frame_length %d but %d bytes follow" % (flen, len(fr) - b - 16))
            if moff + flen > (16 << 20):
                bad(n, "pull reply past 16 MiB")
            reply_max = max(reply_max, flen)
        elif name == "NOTIFY":
            total = struct.unpack_from(">I", fr, b + 8)[0]
            if total > (16 << 20):
                bad(n, "notify total %d" % total)
        elif name == "TRUC":
            if fr[b + 4] != 16 or fr[b + 12] != 0x55:
                bad(n, "truc length %d type %#x" % (fr[b + 4], fr[b + 12]))
            if struct.unpack_from(">I", fr, b + 8)[0] != struct.unpack_from(">I", fr, b + 16)[0]:
                bad(n, "truc session fields differ")
        elif name in ("HOST_QUERY", "HOST_REPLY"):
            if struct.unpack_from(">I", fr, b + 8)[0] != 0x13052008:
                bad(n, "host query magic")
            if name == "HOST_REPLY":
                # the length counts the name's NUL, which is sent (Open-MX)
                nl = fr[b + 1]
                host = fr[b + 16: b + 16 + nl]
                if nl < 2 or len(host) != nl or host[-1] != 0 or \
                        not host[:-1].decode("ascii", "replace").isprintable():
                    bad(n, "host reply name %r" % host)
        elif name == "NACK_LIB":
            if fr[b + 3] not in (1, 2, 3, 4):
                bad(n, "nack type %d" % fr[b + 3])
    for name in sorted(seen):
        print("%-16s %6d" % (name, seen[name]))
    if medium_frag:
        print("medium fragment size %d" % medium_frag)
    if reply_max:
        print("largest pull reply %d" % reply_max)
        if reply_max != mtu - 32 and seen.get("PULL_REPLY", 0) > 32:
            errors.append("largest pull reply %d, Open-MX's is %d at MTU %d" % (reply_max, mtu - 32, mtu))
    missing = [r for r in require if r not in seen]
    if missing:
        errors.append("never seen: " + ",".join(missing))
    for e in errors[:20]:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
