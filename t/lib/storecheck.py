"""storecheck - an independent consistency check of a popstore on disk.

Reads the formats of popstore(5) itself (it does not run reconstruct),
so tests can ask after any operation, crash or fault: is the store
exactly what the programs would serve?

    import storecheck
    sv = storecheck.StoreView(conf_path)
    problems, notes = sv.check(since=start_time)
    assert not problems, problems

Problems (the store is not clean):
  - a damaged profile, folder list, index header or index record (CRC);
  - UIDs not increasing, a UID at or above the state's UIDNEXT;
  - a visible record whose message file is missing or has another size;
  - a cache record that is out of range or fails its CRC;
  - a state that disagrees with the records it counts (messages, unseen,
    deleted, bytes) or a HIGHESTMODSEQ below a record's modseq;
  - a message file without a record below UIDNEXT that is not a leftover
    named by the expunge log;
  - a link count that differs from the names found in the store;
  - a file in a partition's tmp/ older than `since`;
  - account counters (message_count, quota_used) that differ from the
    folders' visible contents (unless counters=False).
Notes (legal after a crash, repaired by the next writer or reconstruct):
  - whole records past the state's count (appended, state not yet
    written: adopted under the next lock), a torn partial record;
  - a message file at or above UIDNEXT without a record (linked by a
    delivery that died: adopted by the next delivery);
  - tmp files newer than `since`.
"""
import os
import struct

# ---- CRC-32C (Castagnoli), reflected, init/xorout 0xFFFFFFFF ----
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _T
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---- names and paths ----
def fnv1a(name):
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def encode_name(name):
    out = []
    for i, b in enumerate(name.encode()):
        c = chr(b)
        if c.isascii() and (c.islower() or c.isdigit() or c in "-_+@") \
                or (c == "." and i > 0):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def fanout(base, name):
    h = fnv1a(name)
    return os.path.join(base, "%02x" % (h >> 24), "%02x" % ((h >> 16) & 255),
                        encode_name(name))


def read_kvfile(path):
    """(kind, fields) of a kvfile, or None when missing or malformed."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if not data.endswith(b"\n"):
        return None
    lines = data.decode("ascii", "replace").split("\n")[:-1]
    if not lines or not lines[0].startswith("popstore-"):
        return None
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(" ")
        out, i = bytearray(), 0
        while i < len(v):
            if v[i] == "%" and i + 2 < len(v) + 1:
                out.append(int(v[i + 1:i + 3], 16))
                i += 3
            else:
                out += v[i].encode()
                i += 1
        fields[k] = out.decode("utf-8", "replace")
    return lines[0].split(" ")[0][len("popstore-"):], fields


def rlog_last(path, kind, recsize):
    """The last record of a record log with a right CRC, or None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if len(data) < 16 or data[:4] != b"PSRL" or \
            struct.unpack(">H", data[6:8])[0] != recsize or data[8:12] != kind:
        return None
    last = None
    n = (len(data) - 16) // recsize
    for i in range(n):
        rec = data[16 + i * recsize:16 + (i + 1) * recsize]
        if crc32c(rec[:-4]) == struct.unpack(">I", rec[-4:])[0]:
            last = rec
    return last


def rlog_all(path, kind, recsize):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if len(data) < 16 or data[:4] != b"PSRL":
        return []
    out = []
    for i in range((len(data) - 16) // recsize):
        rec = data[16 + i * recsize:16 + (i + 1) * recsize]
        if crc32c(rec[:-4]) == struct.unpack(">I", rec[-4:])[0]:
            out.append(rec)
    return out


REC = struct.Struct(">IIQQqh2xIQQII")   # through savedate's predecessor


def decode_record(p):
    if crc32c(p[:124]) != struct.unpack(">I", p[124:128])[0]:
        return None
    (uid, flags, kw, modseq, idate, tz, hlen, size, coff, clen,
     blines) = REC.unpack(p[:REC.size])
    return {"uid": uid, "flags": flags, "modseq": modseq, "size": size,
            "cache_off": coff, "cache_len": clen, "header_len": hlen}


def decode_state(rec):
    (seq, uv, uidnext, hms, exists, unseen, deleted, recent, nbytes,
     fu, gen, dead) = struct.unpack(">QIIQIIIIQIIQ", rec[:64])
    return {"uidvalidity": uv, "uidnext": uidnext, "highestmodseq": hms,
            "exists": exists, "unseen": unseen, "deleted": deleted,
            "bytes": nbytes, "index_gen": gen}


class StoreView:
    """A store named by a popstore.conf (STORE_DIR, PARTITION_x lines)."""

    def __init__(self, conf_path):
        self.partitions = {}
        self.default = "main"
        with open(conf_path) as f:
            for line in f:
                line = line.strip()
                if not line or line[0] in "#!" or "=" not in line:
                    continue
                k, _, v = line.partition("=")
                k, v = k.strip().upper(), v.strip()
                if k == "STORE_DIR":
                    self.dir = v
                elif k.startswith("PARTITION_"):
                    self.partitions[k[10:].lower()] = v
                elif k == "DEFAULT_PARTITION":
                    self.default = v.lower()
        if not self.partitions:
            self.partitions["main"] = os.path.join(self.dir, "mail")

    # ---- lookups ----
    def accounts(self):
        """Canonical names of every account in the profile tree."""
        names = []
        users = os.path.join(self.dir, "users")
        for l1 in sorted(os.listdir(users)) if os.path.isdir(users) else []:
            for l2 in sorted(os.listdir(os.path.join(users, l1))):
                for comp in os.listdir(os.path.join(users, l1, l2)):
                    if comp.startswith(".deleted."):
                        continue    # an interrupted delete: not an account
                    kv = read_kvfile(os.path.join(users, l1, l2, comp,
                                                  "profile"))
                    names.append(kv[1].get("name") if kv else comp)
        return names

    def profile(self, name):
        kv = read_kvfile(os.path.join(fanout(os.path.join(self.dir, "users"),
                                             name), "profile"))
        return kv[1] if kv else None

    def mail_dir(self, name):
        prof = self.profile(name) or {}
        part = self.partitions.get(prof.get("partition", self.default),
                                   self.partitions[self.default])
        return fanout(part, name)

    def usage(self, name):
        rec = rlog_last(os.path.join(fanout(os.path.join(self.dir, "users"),
                                            name), "usage"), b"USAG", 104)
        if rec is None:
            return None
        v = struct.unpack(">12Q", rec[:96])
        return {"message_count": v[1], "quota_used": v[2],
                "messages_received": v[3], "bytes_received": v[4]}

    def folders(self, name):
        """{id: folder name} from the account's folder list."""
        kv = read_kvfile(os.path.join(self.mail_dir(name), "mailboxes"))
        out = {}
        if kv:
            for k, v in kv[1].items():
                if k[:1] == "f" and k[1:].isdigit():
                    out[int(k[1:])] = v.split(" ", 2)[2] if v.count(" ") >= 2 \
                        else v
        return out

    def folder_dir(self, name, fid=0):
        return os.path.join(self.mail_dir(name), "f%d" % fid)

    def messages(self, name, fid=0):
        """Visible messages of a folder: [(uid, path, size)]."""
        info = self._folder(self.folder_dir(name, fid), [], [])
        return [(r["uid"], os.path.join(self.folder_dir(name, fid),
                                        "%d.eml" % r["uid"]), r["size"])
                for r in info["visible"]]

    # ---- the check ----
    def _folder(self, d, problems, notes):
        """Check one folder directory; returns its visible records."""
        info = {"visible": [], "files": set(), "bytes": 0}
        try:
            with open(os.path.join(d, "index"), "rb") as f:
                idx = f.read()
        except OSError as e:
            problems.append("%s: index: %s" % (d, e))
            return info
        h = idx[:128]
        if len(h) < 128 or h[:4] != b"PSIX" or \
                crc32c(h[:124]) != struct.unpack(">I", h[124:128])[0]:
            problems.append("%s: damaged index header" % d)
            return info
        uidvalidity, uid_base, gen = struct.unpack(">III", h[12:24])
        cache_gen = struct.unpack(">I", h[40:44])[0]
        body = idx[128:]
        n = len(body) // 128
        if len(body) % 128:
            notes.append("%s: torn partial record at the end" % d)
        recs = []
        for i in range(n):
            r = decode_record(body[i * 128:(i + 1) * 128])
            if r is None:
                recs.append(None)
            else:
                recs.append(r)
        srec = rlog_last(os.path.join(d, "state"), b"FSTA", 80)
        st = decode_state(srec) if srec else None
        stale = (st is None or st["index_gen"] != gen or st["exists"] > n or
                 st["uidvalidity"] != uidvalidity)
        if stale:
            # What readers do: recompute from the whole records.
            problems.append("%s: state does not match the index" % d) \
                if st is not None and st["exists"] > n else \
                notes.append("%s: state recomputed from records" % d)
            exists = n
        else:
            exists = st["exists"]
        # Records past the state's count: appended, state not yet written.
        for i in range(exists, n):
            if recs[i] is None:
                notes.append("%s: torn record %d past the state" % (d, i))
                break
            notes.append("%s: record uid %d pending adoption" %
                         (d, recs[i]["uid"]))
        try:
            with open(os.path.join(d, "cache.%d" % cache_gen), "rb") as f:
                cache = f.read()
        except OSError:
            cache = b""
        prev, unseen, deleted, nbytes, maxmod = 0, 0, 0, 0, 0
        for i in range(min(exists, n) if not stale else n):
            r = recs[i]
            if r is None:
                problems.append("%s: record %d damaged" % (d, i))
                continue
            if r["uid"] <= prev:
                problems.append("%s: uid %d after %d" % (d, r["uid"], prev))
            prev = r["uid"]
            path = os.path.join(d, "%d.eml" % r["uid"])
            try:
                size = os.stat(path).st_size
                if size != r["size"]:
                    problems.append("%s: size %d, record says %d" %
                                    (path, size, r["size"]))
            except FileNotFoundError:
                problems.append("%s: visible record without a file" % path)
            co, cl = r["cache_off"], r["cache_len"]
            if cl and (co + 8 + cl > len(cache) or
                       struct.unpack(">I", cache[co:co + 4])[0] != cl or
                       crc32c(cache[co + 8:co + 8 + cl]) !=
                       struct.unpack(">I", cache[co + 4:co + 8])[0]):
                problems.append("%s: cache record of uid %d bad" %
                                (d, r["uid"]))
            unseen += not (r["flags"] & 1)
            deleted += bool(r["flags"] & 8)
            nbytes += r["size"]
            maxmod = max(maxmod, r["modseq"])
            info["visible"].append(r)
        if st is not None and not stale:
            for k, v in (("unseen", unseen), ("deleted", deleted),
                         ("bytes", nbytes)):
                if st[k] != v:
                    problems.append("%s: state %s %d, records say %d" %
                                    (d, k, st[k], v))
            if st["highestmodseq"] < maxmod:
                problems.append("%s: HIGHESTMODSEQ below a record" % d)
            if recs[:exists] and recs[exists - 1] and \
                    st["uidnext"] <= recs[exists - 1]["uid"]:
                problems.append("%s: UIDNEXT not above the last UID" % d)
        uidnext = st["uidnext"] if st and not stale else prev + 1
        known = {r["uid"] for r in recs if r}
        expunged = {struct.unpack(">I", x[:4])[0] for x in
                    rlog_all(os.path.join(d, "expunged"), b"XUNG", 24)}
        for fn in os.listdir(d):
            if not fn.endswith(".eml"):
                continue
            info["files"].add(os.path.join(d, fn))
            uid = int(fn[:-4]) if fn[:-4].isdigit() else -1
            if uid in known:
                continue
            if uid >= uidnext:
                notes.append("%s/%s: linked, pending adoption" % (d, fn))
            elif uid in expunged:
                notes.append("%s/%s: leftover of an expunge" % (d, fn))
            else:
                problems.append("%s/%s: file without a record" % (d, fn))
        info["bytes"] = nbytes
        return info

    def check(self, since=None, counters=True, accounts=None):
        """(problems, notes): see the module's description."""
        problems, notes = [], []
        names = {}              # path -> inode, for link counts
        for name in (accounts if accounts is not None else self.accounts()):
            prof = self.profile(name)
            if prof is None:
                problems.append("%s: profile missing or damaged" % name)
                continue
            md = self.mail_dir(name)
            if not os.path.isdir(md):
                continue        # no mail yet
            flist = self.folders(name)
            if not flist and os.path.exists(os.path.join(md, "mailboxes")):
                problems.append("%s: damaged folder list" % name)
            msgs = nbytes = 0
            for fid in sorted(flist):
                d = os.path.join(md, "f%d" % fid)
                if not os.path.isdir(d):
                    problems.append("%s: folder f%d missing" % (name, fid))
                    continue
                info = self._folder(d, problems, notes)
                msgs += len(info["visible"])
                nbytes += info["bytes"]
                for p in info["files"]:
                    names[p] = os.stat(p).st_ino
            for e in os.listdir(md):
                if e[:1] == "f" and e[1:].isdigit() and int(e[1:]) not in flist:
                    notes.append("%s: folder directory %s not listed" %
                                 (name, e))
            u = self.usage(name)
            if counters and u and (u["message_count"] != msgs or
                                   u["quota_used"] != nbytes):
                problems.append(
                    "%s: counters say %d messages, %d bytes; folders hold "
                    "%d, %d" % (name, u["message_count"], u["quota_used"],
                                msgs, nbytes))
        for pname, pdir in self.partitions.items():
            tmp = os.path.join(pdir, "tmp")
            for fn in os.listdir(tmp) if os.path.isdir(tmp) else []:
                p = os.path.join(tmp, fn)
                st = os.lstat(p)
                names[p] = st.st_ino
                if since is not None and st.st_mtime < since:
                    problems.append("%s: stale file in tmp" % p)
                else:
                    notes.append("%s: in tmp" % p)
        count = {}
        for p, ino in names.items():
            count[ino] = count.get(ino, 0) + 1
        seen = set()
        for p, ino in names.items():
            if ino in seen:
                continue
            seen.add(ino)
            nlink = os.stat(p).st_nlink
            if accounts is None and nlink != count[ino]:
                problems.append("%s: %d links, %d names in the store" %
                                (p, nlink, count[ino]))
        return problems, notes
