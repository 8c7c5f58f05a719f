#!/usr/bin/env python3
"""Writes the deterministic flow of the static-analysis benchmark (docs/performance.md):

    python3 bench/gen_analysis_flow.py > /tmp/analysis.flow

one lifecycle of 200 states and 2,000 transitions (10 out of each state: one to the next
state, eight on distinct events guarded by segments, one `when` condition; plus 10 `any`
transitions), 500 segments over 20 ranged fields, and 100 workflows with `if`, `split`,
`wait until` and `exit`. Every transition costs the satisfiability engine real work:
shadowing and ambiguity are checked pairwise per state, instant loops over the `when`
edges, and every workflow's exits against every way out of its state.
"""

STATES = 200
PER_STATE = 10
SEGMENTS = 500
WORKFLOWS = 100
FIELDS = 20
EVENTS = 50
TEAMS = 5


def main():
    out = []
    w = out.append
    w('flow "analysis-bench" version 1')
    w("")
    for t in range(TEAMS):
        w(f"team t{t} escalates to lead{t}")
        w(f"team lead{t}")
    w("")
    w("contact {")
    w("  email: text key")
    w("  score: int = 0")
    w("  consent_email: bool = false")
    for f in range(FIELDS):
        w(f"  f{f}: int 0..1000 = 0")
    w("}")
    w("")
    for e in range(EVENTS):
        w(f"event e{e}")
    w("event leave")
    w("")
    w("channel email requires consent_email")
    w("")
    for s in range(SEGMENTS):
        lo = (s // FIELDS) * 40
        w(f"segment seg{s} = f{s % FIELDS} >= {lo} and f{s % FIELDS} < {lo + 40}")
    w("")
    last = STATES - 1
    w("lifecycle big {")
    for k in range(STATES):
        if k == 0:
            w(f"  initial state st{k} owner t{k % TEAMS}")
        elif k == last:
            w(f"  final state st{k}")
        else:
            w(f"  state st{k} owner t{k % TEAMS}")
    w("}")
    w("")
    n = 0
    for k in range(last):
        w(f"transition st{k} -> st{k + 1} on e{k % EVENTS}")
        for j in range(1, PER_STATE - 1):
            to = (k + j * 7) % last
            w(f"transition st{k} -> st{to} on e{(k + j) % EVENTS} where seg{(k * 8 + j) % SEGMENTS}")
        w(f"transition st{k} -> st{(k + 3) % last} when seg{(k * 8 + 9) % SEGMENTS} and score > {k}")
        n += PER_STATE
    for a in range(2000 - n):
        w(f"transition any -> st{last} on leave where score == {-1 - a}")
    w("")
    for f in range(WORKFLOWS):
        st = 1 + (f * 2) % (last - 1)
        segs = [f * 5 + m for m in range(5)]
        w(f"workflow wf{f} {{")
        w(f"  owner t{f % TEAMS}")
        w(f"  enroll on enter st{st} when not seg{segs[0]}")
        w(f"  exit when not (big is st{st})")
        w("  steps {")
        w(f'    send email "wf{f}-intro"')
        w("    wait 1d")
        w(f'    if seg{segs[1]} {{ send email "wf{f}-a" }} else if seg{segs[2]} {{ send email "wf{f}-b" }}')
        w("    split {")
        w(f'      50% "A" {{ send email "wf{f}-x" }}')
        w(f'      50% "B" {{ send email "wf{f}-y" }}')
        w("    }")
        w(f"    wait until seg{segs[3]} for 2d else {{")
        w(f'      task owner "follow up wf{f}"')
        w("    }")
        w(f'    if seg{segs[4]} {{ send email "wf{f}-last" }}')
        w("  }")
        w("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
