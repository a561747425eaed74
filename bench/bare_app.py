"""The baseline of bench/scan.py: a bare FastAPI app, one trivial endpoint, served like fangkong's."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/api/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/bare")
async def bare() -> dict:
    return {"colour": "green", "entry_allowed": True}
