"""An optional language-model voter for routing, on a service the county runs on its own network.

Off unless `ZHIFA_LLM_URL` is set. A county that deploys a model with an OpenAI-compatible HTTP
API (a local Qwen or DeepSeek behind vLLM, Ollama, Xinference …) can let it cast one vote among
the offline router's candidates:

- `ZHIFA_LLM_URL`: the API base, e.g. `http://10.0.0.5:8000/v1` (the county's intranet only);
- `ZHIFA_LLM_MODE`: `chat` (default: the model picks one code from the candidate list) or
  `embeddings` (the candidate whose description is nearest the report in the embedding space);
- `ZHIFA_LLM_MODEL`, `ZHIFA_LLM_API_KEY` (optional), `ZHIFA_LLM_TIMEOUT` (seconds, default 2),
  `ZHIFA_LLM_WEIGHT` (the score a vote adds, default 0.15), `ZHIFA_LLM_ALL=1` to ask about every
  report (by default only about those the router is unsure of).

The voter never decides alone and never blocks intake: it can only reorder the router's own top
candidates, and any error, refusal or timeout leaves the offline router's answer as it was.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

_CODE = re.compile(r"[A-Za-z]*\d+[A-Za-z0-9-]*")
NONE_CODE = "NONE"


@dataclass(frozen=True)
class Config:
    url: str
    mode: str = "chat"
    model: str = ""
    api_key: str = ""
    timeout: float = 2.0
    weight: float = 0.15
    ask_all: bool = False


def config() -> Config | None:
    """The voter's settings from the environment, or None when it is off."""
    url = os.environ.get("ZHIFA_LLM_URL", "").strip().rstrip("/")
    if not url:
        return None

    def num(name: str, default: float) -> float:
        try:
            v = float(os.environ.get(name, default))
        except ValueError:
            return default
        return v if math.isfinite(v) and v > 0 else default

    mode = os.environ.get("ZHIFA_LLM_MODE", "chat").strip().lower()
    return Config(
        url=url,
        mode=mode if mode in ("chat", "embeddings") else "chat",
        model=os.environ.get("ZHIFA_LLM_MODEL", "").strip(),
        api_key=os.environ.get("ZHIFA_LLM_API_KEY", "").strip(),
        timeout=num("ZHIFA_LLM_TIMEOUT", 2.0),
        weight=num("ZHIFA_LLM_WEIGHT", 0.15),
        ask_all=os.environ.get("ZHIFA_LLM_ALL", "") in ("1", "true", "yes"),
    )


@dataclass(frozen=True)
class Choice:
    code: str | None  # an item code, or None for "not an enforcement matter"
    text: str  # what the code stands for, as the model is shown it


def _post(cfg: Config, path: str, body: dict) -> dict:
    # Imported here: every `zhifa route` imports this module, few have a voter configured.
    import urllib.request

    req = urllib.request.Request(
        cfg.url + path,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}),
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=cfg.timeout) as resp:
        return json.loads(resp.read().decode("utf-8"))


def _chat_vote(cfg: Config, text: str, choices: list[Choice]) -> str | None:
    lines = "\n".join(f"{c.code or NONE_CODE}：{c.text}" for c in choices)
    prompt = (
        "你是县级综合行政执法指挥中心的调度员。请判断下面这条群众或网格员上报的事件属于哪一项执法事项，"
        f"只回答候选项前面的编码，不要解释；如果不属于执法事项（维修、纠纷、咨询等），回答{NONE_CODE}。\n\n"
        f"候选事项：\n{lines}\n\n事件：{text}"
    )
    body = {"messages": [{"role": "user", "content": prompt}], "temperature": 0, "max_tokens": 16}
    if cfg.model:
        body["model"] = cfg.model
    data = _post(cfg, "/chat/completions", body)
    answer = str(data["choices"][0]["message"]["content"])
    allowed = {c.code or NONE_CODE: c.code for c in choices}
    for token in _CODE.findall(answer) + re.findall(NONE_CODE, answer):
        if token in allowed:
            return allowed[token] or NONE_CODE
    return None


def _embeddings(cfg: Config, texts: list[str]) -> list[list[float]]:
    body: dict = {"input": texts}
    if cfg.model:
        body["model"] = cfg.model
    data = _post(cfg, "/embeddings", body)
    rows = sorted(data["data"], key=lambda d: d.get("index", 0))
    return [list(map(float, r["embedding"])) for r in rows]


_choice_vectors: dict[tuple[str, str, str], list[float]] = {}


def _embedding_vote(cfg: Config, text: str, choices: list[Choice]) -> str | None:
    # Candidate descriptions are the same from report to report: embedded once per process.
    missing = [c for c in choices if (cfg.url, cfg.model, c.text) not in _choice_vectors]
    if missing:
        for c, v in zip(missing, _embeddings(cfg, [c.text for c in missing]), strict=True):
            _choice_vectors[(cfg.url, cfg.model, c.text)] = v
    (q,) = _embeddings(cfg, [text])

    def cos(a: list[float], b: list[float]) -> float:
        na = math.sqrt(sum(x * x for x in a)) or 1.0
        nb = math.sqrt(sum(x * x for x in b)) or 1.0
        return sum(x * y for x, y in zip(a, b, strict=False)) / (na * nb)

    best = max(choices, key=lambda c: cos(q, _choice_vectors[(cfg.url, cfg.model, c.text)]))
    return best.code or NONE_CODE


def vote(text: str, choices: list[Choice], cfg: Config | None = None) -> str | None:
    """The code the model prefers among `choices` ("NONE" for not enforcement), or None when the
    voter is off, fails, times out or answers something that is not a candidate."""
    cfg = cfg or config()
    if cfg is None or not choices:
        return None
    import urllib.error

    try:
        if cfg.mode == "embeddings":
            return _embedding_vote(cfg, text, choices)
        return _chat_vote(cfg, text, choices)
    except (OSError, urllib.error.URLError, TimeoutError, ValueError, KeyError, IndexError, TypeError) as e:
        # The offline router's answer stands; one line in the log says why the vote was lost.
        log.warning("routing voter at %s gave no vote: %s", cfg.url, e)
        return None


def rerank(
    candidates: list[tuple[str | None, float, list[str]]], voted: str | None, weight: float
) -> list[tuple[str | None, float, list[str]]]:
    """The router's candidates with the voted one's score raised by `weight`, best first."""
    if voted is None:
        return candidates
    code = None if voted == NONE_CODE else voted
    out = [(c, round(s + weight, 4) if c == code else s, w) for c, s, w in candidates]
    return sorted(out, key=lambda x: -x[1])
