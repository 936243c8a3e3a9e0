"""Reference server for the GET /leaderboard target of SPEC section 9.

A FastAPI/uvicorn app answering the same JSON shape as `sigmalab serve` from
rows held in memory: loaded once at start, sorted once per order key, filtered
lists cached per query, then paginated per request. It is the yardstick of
bench/api.sh, not part of the product.

    leaderboard_ref.py dump --url http://127.0.0.1:PORT --out runs.json
    leaderboard_ref.py serve --rows runs.json --port PORT [--mode dumps|raw|dict]

dump pages through a running sigmalab's /leaderboard so the reference serves
exactly the stored runs. serve modes, from the idiomatic to the tuned:
  dict   return the dict and let FastAPI encode it (jsonable_encoder + JSONResponse)
  dumps  json.dumps of the in-memory dicts into a Response (the default)
  raw    rows kept as their JSON text and joined, as sigmalab does with its stored documents
"""

import argparse
import json
import sys
import urllib.request
from typing import Optional

ORDER_KEYS = {
    "sharpe_hourly": "best_sharpe_hourly",
    "cum_ret": "best_cum_ret",
    "created_at": "created_at",
}


def dump(url, out):
    """Writes every stored run, in id order, as one JSON array."""
    rows, offset = [], 0
    while True:
        with urllib.request.urlopen(f"{url}/leaderboard?order_by=created_at&limit=500&offset={offset}") as r:
            page = json.load(r)
        rows.extend(page["rows"])
        if page["next_offset"] is None:
            break
        offset = page["next_offset"]
    rows.sort(key=lambda row: row["id"])
    with open(out, "w") as f:
        json.dump(rows, f, separators=(",", ":"))
    print(f"dumped {len(rows)} runs", file=sys.stderr)


def sorted_rows(rows, order):
    """Best first, missing scores last, newest id first among equals."""
    key = ORDER_KEYS[order]
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], r["id"]), reverse=True)
    missing.sort(key=lambda r: r["id"], reverse=True)
    return present + missing


def make_app(rows, mode):
    from fastapi import FastAPI, Query
    from fastapi.responses import JSONResponse, Response

    by_order = {order: sorted_rows(rows, order) for order in ORDER_KEYS}
    texts = {id(r): json.dumps(r, separators=(",", ":")) for r in rows} if mode == "raw" else {}
    filtered = {}  # (order, filters) -> rows; a handful of distinct queries in a benchmark

    app = FastAPI()

    @app.get("/health")
    async def health():
        return Response('{"ok":true}\n', media_type="application/json")

    @app.get("/leaderboard")
    async def leaderboard(
        pack_id: Optional[str] = None,
        model_id: Optional[str] = None,
        tag: Optional[str] = None,
        risk_profile: Optional[str] = None,
        pass_gate: Optional[bool] = None,
        order_by: str = "sharpe_hourly",
        limit: int = 20,
        offset: int = Query(0, ge=0),
    ):
        if order_by == "sharpe":
            order_by = "sharpe_hourly"
        if order_by not in ORDER_KEYS:
            return JSONResponse({"ok": False, "error": "order_by must be one of: sharpe_hourly, cum_ret, created_at",
                                 "code": "validation_error"}, status_code=422)
        limit = min(max(limit, 1), 500)
        if risk_profile:
            risk_profile = risk_profile.lower()
        fkey = (order_by, pack_id, model_id, tag, risk_profile, pass_gate)
        sel = filtered.get(fkey)
        if sel is None:
            sel = [r for r in by_order[order_by]
                   if (pack_id is None or r["pack_id"] == pack_id) and (model_id is None or r["model_id"] == model_id)
                   and (tag is None or r["tag"] == tag) and (risk_profile is None or r["risk_profile"] == risk_profile)
                   and (pass_gate is None or r["gate_pass"] == pass_gate)]
            filtered[fkey] = sel
        page = sel[offset:offset + limit]
        total = len(sel)
        nxt = offset + len(page) if page and offset + len(page) < total else None
        tail = {"order_by": order_by, "tag": tag, "limit": limit, "offset": offset, "next_offset": nxt, "total": total}
        if mode == "dict":
            return {"ok": True, "rows": page, **tail}
        if mode == "raw":
            body = '{"ok":true,"rows":[' + ",".join(texts[id(r)] for r in page) + "],"  + json.dumps(tail, separators=(",", ":"))[1:] + "\n"
        else:
            body = json.dumps({"ok": True, "rows": page, **tail}, separators=(",", ":")) + "\n"
        return Response(body, media_type="application/json")

    return app


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--url", required=True)
    d.add_argument("--out", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--rows", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--mode", choices=["dict", "dumps", "raw"], default="dumps")
    a = p.parse_args()
    if a.cmd == "dump":
        dump(a.url, a.out)
        return
    import uvicorn

    with open(a.rows) as f:
        rows = json.load(f)
    # uvicorn picks uvloop and httptools when they are installed; access log off
    # (sigmalab keeps its own on), one worker process as uvicorn runs by default.
    uvicorn.run(make_app(rows, a.mode), host="127.0.0.1", port=a.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
