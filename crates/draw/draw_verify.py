#!/usr/bin/env python3
# Re-run a ppetrace draw from public data (stdlib only). `draw_verify.py BUNDLE.json` (plan, snapshot, seed_inputs,
# result): prints MATCH (exit 0) or the first difference (exit 1). `--sample SEED N [--with-replacement] ID...`
import hashlib, heapq, itertools, json, sys
H = lambda s: hashlib.sha256(s.encode()).hexdigest()
U = lambda s: "0." + ("%064d" % int(H(s), 16))[::-1]
C = lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
def nxt(x):  # next ticket after x (with replacement)
    x0, i, y = x + "0", 0, ""
    p = next(j for j in range(2, len(x0)) if x0[j] != "9")
    while y <= x0: i += 1; y = x0[:p] + U(x + ":" + str(i))[2:]
    return y
def sample(ids, seed, repl=False):
    h = [(U(H(seed) + i), i, 1) for i in ids]; heapq.heapify(h)
    while h:
        t = heapq.heappop(h); yield t[1]
        if repl: heapq.heappush(h, (nxt(t[0]), t[1], t[2] + 1))
def draw(plan, snap, si):
    ph, sh, b, k, cap = H(C(plan)), H(C(snap)), si["beacon"], plan["inspectors_per_target"], plan["max_assignments_per_inspector"]
    if sorted(map(H, si["reveals"])) != plan["contribution_commitments"]: sys.exit("MISMATCH reveals do not match commitments")
    if (b and b["round"]) != plan["beacon_round"]: sys.exit("MISMATCH beacon round is not the one named in the plan")
    seed = H("\n".join(["ppetrace-draw-v1", ph, sh, "%d:%s" % (b["round"], b["randomness"]) if b else "-"] + sorted(si["reveals"])))
    ins = {i["id"]: i for i in snap["inspectors"] if i["active"]}; load = dict.fromkeys(ins, 0); out = []
    for q in plan["quotas"]:
        ts = {t["id"]: t for t in snap["targets"] if t["risk_class"] == q["class"]}
        for tid in list(sample(ts, seed + "/targets/" + q["class"]))[:min(len(ts), max(q["minimum"], -(-q["fraction_bp"] * len(ts) // 10000)))]:
            t = ts[tid]; ok = [i for i in sample(ins, seed + "/inspectors/" + tid) if tid not in ins[i]["affiliations"] and i not in t["last_inspectors"]
                               and not (plan["recuse_same_region"] and ins[i]["region"] == t["region"]) and (cap is None or load[i] < cap)][:k]
            for i in ok: load[i] += 1
            out.append({"target_id": tid, "risk_class": q["class"], "inspectors": ok, "shortfall": k - len(ok)})
    return {"version": "ppetrace-draw-v1", "plan_hash": ph, "snapshot_hash": sh, "seed": seed, "assignments": out}
def diff(a, b, p="result"):  # first difference, keys in sorted order
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys(): return next((d for k in sorted(a) if (d := diff(a[k], b[k], p + "." + k))), None)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b): return next((d for j in range(len(a)) if (d := diff(a[j], b[j], "%s[%d]" % (p, j)))), None)
    return None if a == b else "%s: expected %s, published %s" % (p, C(a), C(b))
if sys.argv[1:2] == ["--sample"]:
    r = sys.argv[4:5] == ["--with-replacement"]; print("\n".join(itertools.islice(sample(sys.argv[4 + r:], sys.argv[2], r), int(sys.argv[3]))))
else:
    d = json.load(open(sys.argv[1], encoding="utf-8")); e = diff(draw(d["plan"], d["snapshot"], d["seed_inputs"]), d["result"])
    print("MISMATCH " + e if e else "MATCH"); sys.exit(1 if e else 0)
