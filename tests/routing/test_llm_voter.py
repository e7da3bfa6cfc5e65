"""The optional language-model voter against a fake OpenAI-compatible server started by the test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zhifa.dispatch import llm_voter, routing

IN_T01 = (112.799015, 35.881088)


class FakeModel:
    """A local HTTP server speaking /v1/chat/completions and /v1/embeddings."""

    def __init__(self) -> None:
        self.answer = "Z028"
        self.delay = 0.0
        self.status = 200
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                time.sleep(outer.delay)
                if outer.status != 200:
                    self.send_response(outer.status)
                    self.end_headers()
                    return
                if self.path.endswith("/embeddings"):
                    texts = body["input"]
                    # A toy embedding: does the text mention 油烟 or 摊?
                    data = [
                        {"index": i, "embedding": [float("油烟" in t), float("摊" in t), 0.1]}
                        for i, t in enumerate(texts)
                    ]
                    out = {"data": data}
                else:
                    out = {"choices": [{"message": {"role": "assistant", "content": outer.answer}}]}
                raw = json.dumps(out, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_model(monkeypatch):
    m = FakeModel()
    monkeypatch.setenv("ZHIFA_LLM_URL", m.url)
    monkeypatch.setenv("ZHIFA_LLM_MODEL", "qwen-local")
    monkeypatch.setenv("ZHIFA_LLM_API_KEY", "k-123")
    monkeypatch.setenv("ZHIFA_LLM_TIMEOUT", "0.5")
    yield m
    m.close()


CHOICES = [
    llm_voter.Choice("Z021", "油烟净化设施"),
    llm_voter.Choice("Z028", "占道摆摊"),
    llm_voter.Choice(None, "非执法事项"),
]


def test_off_without_configuration(monkeypatch):
    monkeypatch.delenv("ZHIFA_LLM_URL", raising=False)
    assert llm_voter.config() is None
    assert llm_voter.vote("路边摆摊", CHOICES) is None


def test_chat_vote_picks_a_candidate_and_sends_the_model_and_key(fake_model):
    fake_model.answer = "编码：Z028"
    assert llm_voter.vote("人行道上一排菜摊", CHOICES) == "Z028"
    req = fake_model.requests[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer k-123"
    assert req["body"]["model"] == "qwen-local"
    prompt = req["body"]["messages"][0]["content"]
    assert "Z021：油烟净化设施" in prompt and "人行道上一排菜摊" in prompt


def test_chat_vote_ignores_codes_that_are_not_candidates(fake_model):
    fake_model.answer = "Z999"
    assert llm_voter.vote("人行道上一排菜摊", CHOICES) is None
    fake_model.answer = "NONE"
    assert llm_voter.vote("路灯坏了", CHOICES) == llm_voter.NONE_CODE


def test_timeout_and_server_error_give_no_vote(fake_model):
    fake_model.delay = 1.0  # longer than ZHIFA_LLM_TIMEOUT=0.5
    t0 = time.monotonic()
    assert llm_voter.vote("人行道上一排菜摊", CHOICES) is None
    assert time.monotonic() - t0 < 0.95
    fake_model.delay = 0.0
    fake_model.status = 500
    assert llm_voter.vote("人行道上一排菜摊", CHOICES) is None


def test_embedding_vote(fake_model, monkeypatch):
    monkeypatch.setenv("ZHIFA_LLM_MODE", "embeddings")
    assert llm_voter.vote("后厨油烟直接往外排", CHOICES) == "Z021"
    assert llm_voter.vote("门口摆了好多摊", CHOICES) == "Z028"
    # the candidates' descriptions were embedded once, then only the reports
    assert sum(len(r["body"]["input"]) for r in fake_model.requests) == 3 + 1 + 1


def test_rerank_moves_the_voted_candidate_up():
    cands = [("Z021", 0.30, ["油烟"]), ("Z028", 0.25, ["摆摊"])]
    assert [c for c, _, _ in llm_voter.rerank(cands, "Z028", 0.15)] == ["Z028", "Z021"]
    assert llm_voter.rerank(cands, None, 0.15) == cands


@pytest.mark.django_db
def test_routing_uses_the_vote_only_when_unsure_and_falls_back(bench_county, fake_model, monkeypatch):
    text = "门口人行道上摆满了东西在卖"
    monkeypatch.delenv("ZHIFA_LLM_URL")
    offline = routing.suggest(text, *IN_T01)
    monkeypatch.setenv("ZHIFA_LLM_URL", fake_model.url)
    # a confident suggestion is not sent to the model at all
    monkeypatch.setenv("ZHIFA_ROUTING_REVIEW_BELOW", "0")
    assert routing.suggest(text, *IN_T01).item == offline.item and not fake_model.requests
    # every suggestion counts as unsure: the model votes among the router's top eight
    monkeypatch.setenv("ZHIFA_ROUTING_REVIEW_BELOW", "1")
    monkeypatch.setenv("ZHIFA_LLM_WEIGHT", "2")  # a county that trusts its model's vote
    top8 = [c.item for c in routing._load(None).router.rank(text, k=8).candidates]
    pick = next(c for c in top8[1:3] if c)  # a close candidate the router did not put first
    fake_model.answer = pick
    voted = routing.suggest(text, *IN_T01)
    assert voted.item == pick and len(fake_model.requests) == 1
    # the model is down: the offline answer stands
    fake_model.status = 503
    assert routing.suggest(text, *IN_T01).item == offline.item
