"""Text features for routing: jieba words, colloquial-lexicon expansions and character bigrams.

Reports are colloquial ("盖房子", "砍树", "烧秸秆") while the catalogue speaks statute ("建设",
"采伐林木", "露天焚烧"). The lexicon (lexicon.txt, shipped beside this module) maps report wording
onto catalogue wording, so a county with no history routes from its catalogue alone. Character
bigrams catch typos and words jieba splits differently. Every feature remembers the surface text
that produced it, so a routing can show the words that decided.

Feature keys: "w:建房" (a word), "c:建房" (a character bigram), "@报修" (a pseudo-word the lexicon
uses for matters that are not enforcement).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import add, itemgetter
from pathlib import Path

LEXICON_PATH = Path(__file__).with_name("lexicon.txt")

# Weights of the feature kinds: words carry the meaning, expansions translate colloquial wording
# and are slightly stronger than a plain word (they were written on purpose), bigrams are a net
# for typos and unusual segmentation and must not outvote words.
WORD_WEIGHT = 1.0
EXPANSION_WEIGHT = 1.2
BIGRAM_WEIGHT = 0.35
SINGLE_CHAR_WEIGHT = 0.4

# Words that occur in reports or catalogue names without telling one matter from another.
STOPWORDS = frozenset(
    """
    的 了 在 是 和 与 及 或 或者 以及 等 对 把 被 将 从 向 到 由 为 有 没 没有 不 也 都 就 还 又 很 特别
    这 那 这里 那里 这个 那个 这边 那边 一个 一家 一些 好几 几个 有人 有个 我们 我 你 他 她 他们 她们
    大家 自己 自家 里 上 下 前 后 边 旁边 附近 门口 一直 已经 每天 天天 晚上 早上 白天 半夜 现在 经常
    村里 村口 村头 村东头 村西头 镇上 县城 城里 家里 路口 楼下
    市民 来电 反映 群众 举报 网格员 上报 发现 希望 管管 管一管 请 依法 处理 处置 核查 经 某
    街道 镇 乡 村 社区 小区 县 市 路 街 号 组 附 反映 说 问 看见 看到 听说 好像 疑似 不知道 谁 什么
    处罚 行为 规定 违反 违法 有关 相关 应当 依照 按照 可以 进行 未 经 未经 擅自 私自 予以 实施 造成
    中华人民共和国 条例 办法 法 第 条 款 项 之 其他 其 所 者 人 单位 个人 情况 问题 活动 内 外
    """.split()
)

_PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = re.compile(r"^[\d.]+$")
# Place names say where, never what: "北关街道", "石门镇", "东庄村", "建设路23号". Left in, a learned
# report would pull every later report from the same street towards its item.
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{2}(?:街道|镇|乡|村(?!民)|(?:路|街|巷|大道)(?![边面上旁灯段沿中过])(?:\d+号)?)"
    r"|\d+号(?:楼)?|[一二三四五六七八九十\d]+组"
)
# Wording of the channel, not of the matter ("AI视频识别：检测到…", "市民来电反映：", "请依法处置"):
# learned from one sensor report it would pull every later sensor report to the same item.
_BOILERPLATE = re.compile(
    r"ai视频识别|视频识别|智能感知|检测到|识别到|市民来电(?:反映|咨询|投诉)?|群众来电|来电反映|群众举报|网格员上报"
    r"|巡查发现|经核查|经查|经卫片执法发现|请贵?(?:镇|乡|街道|单位)?依法(?:处置|处理|查处)|告知函|的函"
)
_KEEP_PLACE = (
    "公路", "马路", "道路", "铁路", "修路", "挖路", "破路", "的路", "一路", "沿路", "过路", "走路",
    "堵路", "占路", "上路", "小路", "大路", "土路", "沿街", "临街", "上街", "老街", "大街", "满街",
)  # fmt: skip
_KEEP_PLACE_RE = re.compile("|".join(map(re.escape, _KEEP_PLACE)))
# A place name has one of these characters: a text without any has none.
_PLACE_MARK = re.compile(r"[街镇乡村路巷道号组]")


@dataclass(frozen=True)
class LexiconEntry:
    """A colloquial phrase (possibly "A…B": A followed by B within a few characters) and its terms."""

    phrase: str
    terms: tuple[str, ...]

    def pattern(self) -> re.Pattern[str] | None:
        if "…" not in self.phrase:
            return None
        parts = [re.escape(p) for p in self.phrase.split("…") if p]
        return re.compile(".{0,10}?".join(parts))


@dataclass
class Lexicon:
    entries: list[LexiconEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        # "错字 => =正字": corrections applied to the text before anything else, longest first.
        self.corrections = sorted(
            (
                (e.phrase, e.terms[0][1:])
                for e in self.entries
                if len(e.terms) == 1 and e.terms[0].startswith("=")
            ),
            key=lambda c: -len(c[0]),
        )
        self.entries = [e for e in self.entries if not (len(e.terms) == 1 and e.terms[0].startswith("="))]
        # Entries indexed by the first two characters of their first part (by the one character
        # where the part is a single character): a report is scanned once per distinct bigram
        # instead of once per entry (over a thousand entries). Per entry: its phrase, its parts
        # (None for a phrase without "…"), their length plus two (a longer span is shown as the
        # parts) and the entry; the patterns of "A…B" are compiled when first needed.
        self._by_first: dict[str, list[tuple[str, list[str] | None, int, LexiconEntry]]] = {}
        self._by_char: dict[str, list[tuple[str, list[str] | None, int, LexiconEntry]]] = {}
        for e in self.entries:
            parts = [p for p in e.phrase.split("…") if p]
            if parts:
                key = parts[0][:2]
                into = self._by_first if len(key) == 2 else self._by_char
                gap = parts if "…" in e.phrase else None
                into.setdefault(key, []).append((e.phrase, gap, sum(map(len, parts)) + 2, e))
        self._chars = frozenset(self._by_char)
        self._patterns: dict[str, re.Pattern[str]] = {}

    def correct(self, text: str) -> str:
        for wrong, right in self.corrections:
            if wrong in text:
                text = text.replace(wrong, right)
        return text

    def matches(self, text: str, pairs: list[str] | None = None) -> list[tuple[str, LexiconEntry]]:
        """(surface, entry) for every entry found in `text` (`pairs`: its every two consecutive
        characters, where the caller has them)."""
        found: list[tuple[int, str, LexiconEntry]] = []
        keys = set(pairs if pairs is not None else map(add, text, text[1:]))
        candidates = [g for g in map(self._by_first.get, keys) if g is not None]
        if self._chars:
            by_char = self._by_char
            candidates += [by_char[c] for c in self._chars.intersection(text)]
        for group in candidates:
            for phrase, parts, short, e in group:
                if parts is None:
                    at = text.find(phrase)
                    if at >= 0:
                        found.append((at, phrase, e))
                    continue
                for p in parts:
                    if p not in text:
                        break
                else:
                    pat = self._patterns.get(phrase)
                    if pat is None:
                        pat = self._patterns[phrase] = e.pattern()
                    m = pat.search(text)
                    if m:
                        span = m.group(0)
                        # A long span reads better as its parts: "一楼…饭店", not the whole clause.
                        shown = span if len(span) <= short else "…".join(parts)
                        found.append((m.start(), shown, e))
        # Same order for the same text, whatever the set's iteration order: features are summed in it.
        found.sort(key=_AT_SHOWN)
        return [(shown, e) for _, shown, e in found]

    def to_lines(self) -> list[str]:
        return [f"{w} => ={r}" for w, r in self.corrections] + [
            f"{e.phrase} => {' '.join(e.terms)}" for e in self.entries
        ]


_AT_SHOWN = itemgetter(0, 1)


class LexiconError(ValueError):
    pass


def parse_lexicon(text: str, where: str = "lexicon.txt") -> Lexicon:
    """Lines "口语 => 规范词 规范词"; "#" starts a comment. Errors name the line."""
    entries: list[LexiconEntry] = []
    errors: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" not in line:
            errors.append(f"{where}第{n}行：缺少“=>”，格式应为“口语说法 => 规范用语”")
            continue
        left, right = (s.strip() for s in line.split("=>", 1))
        terms = tuple(right.split())
        if not left or not terms:
            errors.append(f"{where}第{n}行：口语说法和规范用语都不能为空")
            continue
        if any(t.startswith("=") for t in terms) and (len(terms) > 1 or len(terms[0]) < 2 or "…" in left):
            errors.append(
                f"{where}第{n}行：改错字的写法是“错字 => =正字”（右边只能有一个“=词”，左边不能用“…”）"
            )
            continue
        for phrase in left.split("|"):
            # NFKC turns "…" into "...": normalise the parts around the gap, not the gap.
            phrase = "…".join(normalise(part) for part in phrase.strip().split("…"))
            if phrase:
                entries.append(LexiconEntry(phrase, terms))
    if errors:
        raise LexiconError("；".join(errors))
    return Lexicon(entries)


def default_lexicon_lines() -> list[str]:
    return parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8")).to_lines()


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, no spaces: the same text for every feature kind."""
    t = text or ""
    # NFKC, character by character where it can be: see _NFKC_UNSAFE.
    t = t.translate(_NFKC_TABLE) if _NFKC_UNSAFE.search(t) is None else unicodedata.normalize("NFKC", t)
    return t.lower().replace(" ", "").replace("\u3000", "")


# Characters whose NFKC form is one fixed string that no neighbour composes with (ASCII, CJK
# ideographs and punctuation, full-width forms: none is a combining mark or the second part of a
# composition, nor decomposes into one): a text of these alone is NFKC-normalised character by
# character, with a table, instead of by unicodedata's normalisation (several times slower).
_NFKC_UNSAFE = re.compile(
    "[^\t\n\x0b\x0c\r\x20-\x7e\xb7\xd7\u2010-\u2016\u2018-\u2027\u3000-\u3029\u3030-\u303f"
    "\u4e00-\u9fff\uff01-\uff5e]"
)
_NFKC_TABLE = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for lo, hi in ((0x2010, 0x2027), (0x3000, 0x303F), (0xFF01, 0xFF5E))
    for cp in range(lo, hi + 1)
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
}


_tokenizer = None
_tokenizer_lock = threading.Lock()


def _jieba():
    """A private jieba tokenizer (the global one may carry other modules' user words)."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                _tokenizer = tok
    return _tokenizer


def add_words(words: list[str]) -> None:
    """Teach the tokenizer domain words (from the lexicon) so they stay whole."""
    tok = _jieba()
    for w in words:
        if len(w) >= 2 and tok.FREQ.get(w) is None:
            tok.add_word(w, freq=2000)
            _term_cache.clear()  # terms may now split differently
            segment.cache_clear()


def words(text: str) -> list[str]:
    """Content words of `text` (jieba, without stopwords, punctuation and numbers)."""
    out = []
    for w in _jieba().lcut(text, HMM=True):
        w = w.strip()
        if not w or w in STOPWORDS or _DIGITS.match(w) or (not _CJK.search(w) and len(w) < 2):
            continue
        if _PUNCT.fullmatch(w):
            continue
        out.append(w)
    return out


@lru_cache(maxsize=200_000)
def segment(text: str) -> tuple[str, ...]:
    """`words(text)` memoised: training segments the same shipped situations for every county."""
    return tuple(words(text))


def strip_places(text: str) -> str:
    """The report without place names (kept: words like 公路, 临街 that describe the matter)."""

    if _PLACE_MARK.search(text) is None:
        return text
    return _PLACE.sub(_place_repl, text)


def place_spans(text: str) -> list[tuple[int, int]]:
    """Where `strip_places(text)` puts a "，" for a place name: (start, end) of each, in order."""
    if _PLACE_MARK.search(text) is None:
        return []
    keep = _KEEP_PLACE_RE.search
    return [m.span() for m in _PLACE.finditer(text) if keep(m.group(0)) is None]


def _place_repl(m: re.Match[str]) -> str:
    s = m.group(0)
    return s if _KEEP_PLACE_RE.search(s) else "，"


_term_cache: dict[str, tuple[str, ...]] = {}


def _term_words(term: str) -> tuple[str, ...]:
    """A lexicon term's words (memoised: the same few hundred terms recur in every report)."""
    got = _term_cache.get(term)
    if got is None:
        got = _term_cache[term] = tuple(words(term)) or (term,)
    return got


Features = dict[str, float]
Surfaces = dict[str, str]


class Vocabulary:
    """The words a trained model knows, found in a text by lookup instead of segmentation.

    A word the model has no weight for cannot change a score, so a report only needs to be
    searched for the model's own words: every substring of two to `longest` characters is looked
    up in a set. This finds "盖房" inside "盖房子" where a segmenter would keep the longer word, and
    it needs no segmentation dictionary at run time (jieba is used only while training).
    """

    def __init__(self, words_: Iterable[str]) -> None:
        self.words = frozenset(w for w in words_ if w)
        self.longest = max((len(w) for w in self.words), default=0)
        # Per first character, the lengths of the known words that begin with it, longest first:
        # the search from a position tries only those.
        lengths: dict[str, set[int]] = {}
        for w in self.words:
            lengths.setdefault(w[0], set()).add(len(w))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        self._terms: dict[str, list[str]] = {}

    def find(self, text: str) -> list[str]:
        out: list[str] = []
        words_ = self.words
        lengths = self._lengths.get
        for run in _CJK_WORDY.findall(text):
            n = len(run)
            i = 0
            while i < n:
                # Forward maximum matching: the longest known word starting here.
                for k in lengths(run[i], ()):
                    j = i + k
                    if j <= n and run[i:j] in words_:
                        out.append(run[i:j])
                        i = j
                        break
                else:
                    i += 1
        return out

    def find_term(self, term: str) -> list[str]:
        """`find` memoised for the lexicon's terms (the same few hundred recur in every report)."""
        got = self._terms.get(term)
        if got is None:
            got = self._terms[term] = self.find(term)
        return got


_CJK_WORDY = re.compile(r"[\u4e00-\u9fffa-z0-9]+")
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")


class KnownFeatures:
    """`features(text, lexicon, vocabulary=vocabulary)` kept to the features a model has a weight
    for (`index`: feature key → id), as ids: the same sums and surfaces in the same order (of first
    occurrence), without building the keys of the features no weight can use. What a router scores
    a report with; `features` stays what trains and teaches it."""

    def __init__(self, lexicon: Lexicon, vocabulary: Vocabulary, index: dict[str, int]) -> None:
        self.lexicon, self.vocabulary = lexicon, vocabulary
        self._index = index
        self._word = {
            w: (index["w:" + w], SINGLE_CHAR_WEIGHT if len(w) == 1 else WORD_WEIGHT)
            for w in vocabulary.words
            if "w:" + w in index
        }
        stop = STOPWORDS
        # A bigram of two stopword characters is never a feature (see `features`).
        self._bigram = {
            k[2:]: f
            for k, f in index.items()
            if k.startswith("c:") and _CJK_PAIR.fullmatch(k, 2) and not (k[2] in stop and k[3] in stop)
        }
        self._bigram_text = {f: bg for bg, f in self._bigram.items()}
        self._terms: dict[tuple[str, ...], tuple[int, ...]] = {}
        # The vocabulary's words by their first two characters (the longer ones with their lengths,
        # longest first) and the one-character words, each with its (id, weight) — (None, 0.0) for
        # a word the model has no weight for, which is still found — for `Vocabulary.find`'s
        # forward maximum matching over the two-character windows the bigrams need anyway. A word
        # with a character outside _CJK_WORDY is never found there.
        by_pair: dict[str, tuple[list[int], dict[str, tuple], tuple | None]] = {}
        self._single: dict[str, tuple] = {}
        for w in vocabulary.words:
            if not _CJK_WORDY.fullmatch(w):
                continue
            info = self._word.get(w, (None, 0.0))
            if len(w) == 1:
                self._single[w] = info
                continue
            lens, longer, two = by_pair.get(w[:2]) or ([], {}, None)
            if len(w) == 2:
                two = info
            else:
                longer[w] = info
                if len(w) not in lens:
                    lens.append(len(w))
                    lens.sort(reverse=True)
            by_pair[w[:2]] = (lens, longer, two)
        self._by_pair = by_pair
        # Two characters that begin no longer word, with the (id, weight) of the two-character word
        # they are: most words of a report, matched with one lookup.
        self._pair_word = {p: two for p, (lens, _, two) in by_pair.items() if not lens and two is not None}

    def _term_ids(self, terms: tuple[str, ...]) -> tuple[int, ...]:
        """The ids a lexicon entry's terms add, in the order `features` adds their keys."""
        got = self._terms.get(terms)
        if got is None:
            keys: list[str] = []
            for term in terms:
                if term.startswith("@"):
                    keys.append(term)
                else:
                    keys += ["w:" + w for w in self.vocabulary.find_term(term) or (term,)]
            index = self._index
            got = self._terms[terms] = tuple(index[k] for k in keys if k in index)
        return got

    def __call__(self, text: str) -> tuple[dict[int, float], dict[int, str]]:
        """feature id → weight, and feature id → the report wording that produced it."""
        t = self.lexicon.correct(normalise(text))
        lexicon_text = t = _BOILERPLATE.sub("，", t)
        t = strip_places(t)
        pairs = list(map(add, t, t[1:]))  # every two consecutive characters
        feats: dict[int, float] = {}
        surf: dict[int, str] = {}
        get = feats.get
        keep = surf.setdefault
        # The vocabulary's words, as `Vocabulary.find` finds them: the longest word at each place.
        by_pair = self._by_pair.get
        single = self._single.get
        n = len(t)
        last = n - 1
        i = 0
        pair_word = self._pair_word.get
        while i < n:
            if i < last:
                hit = pair_word(pairs[i])
                if hit is not None:
                    f, weight = hit
                    if f is not None:
                        feats[f] = get(f, 0.0) + weight
                        keep(f, pairs[i])
                    i += 2
                    continue
            hit = None
            got = by_pair(pairs[i]) if i < last else None
            if got is not None:
                lens, longer, two = got
                for k in lens:
                    if i + k <= n:
                        w = t[i : i + k]
                        hit = longer.get(w)
                        if hit is not None:
                            break
                else:
                    if two is not None:
                        w, hit = pairs[i], two
            if hit is None:
                w = t[i]
                hit = single(w)
                if hit is None:
                    i += 1
                    continue
            f, weight = hit
            if f is not None:
                feats[f] = get(f, 0.0) + weight
                keep(f, w)
            i += len(w)
        term_ids = self._term_ids
        matched = self.lexicon.matches(lexicon_text, pairs if lexicon_text is t else None)
        for surface, entry in matched:
            for f in term_ids(entry.terms):
                feats[f] = get(f, 0.0) + EXPANSION_WEIGHT
                keep(f, surface)
        # The model's bigrams are of CJK characters only: these are those of `features`' CJK runs,
        # in the same order.
        bigram_text = self._bigram_text
        for f in map(self._bigram.get, pairs):
            if f is not None:
                feats[f] = get(f, 0.0) + BIGRAM_WEIGHT
                keep(f, bigram_text[f])
        return feats, surf


def features(
    text: str, lexicon: Lexicon | None, expand: bool = True, vocabulary: Vocabulary | None = None
) -> tuple[Features, Surfaces]:
    """Weighted features of `text` and, per feature, the report wording that produced it.

    With a `vocabulary` the words are the vocabulary's words found in the text; without one, the
    words jieba segments (how a vocabulary is collected while training)."""
    t = normalise(text)
    lexicon_text = t
    if expand:
        if lexicon is not None:
            t = lexicon.correct(t)
        # The lexicon reads the text with its place names (its phrases are chosen not to be place
        # names, and a place-like pattern such as "车一路" may be part of the matter: "渣土车一路撒土").
        lexicon_text = t = _BOILERPLATE.sub("，", t)
        t = strip_places(t)
    feats: Features = {}
    surf: Surfaces = {}

    # Inlined adds (this is the router's hottest loop); each feature sums in the same order.
    get = feats.get
    keep = surf.setdefault
    for w in vocabulary.find(t) if vocabulary is not None else words(t):
        key = "w:" + w
        feats[key] = get(key, 0.0) + (SINGLE_CHAR_WEIGHT if len(w) == 1 else WORD_WEIGHT)
        keep(key, w)
    if expand and lexicon is not None:
        for surface, entry in lexicon.matches(lexicon_text):
            for term in entry.terms:
                if term.startswith("@"):
                    feats[term] = get(term, 0.0) + EXPANSION_WEIGHT
                    keep(term, surface)
                    continue
                if vocabulary is not None:
                    parts = vocabulary.find_term(term) or (term,)
                else:
                    parts = _term_words(term)
                for w in parts:
                    key = "w:" + w
                    feats[key] = get(key, 0.0) + EXPANSION_WEIGHT
                    keep(key, surface)
    stop = STOPWORDS
    for run in _CJK_RUN.findall(t):
        for i in range(len(run) - 1):
            bg = run[i : i + 2]
            if bg[0] in stop and bg[1] in stop:
                continue
            key = "c:" + bg
            feats[key] = get(key, 0.0) + BIGRAM_WEIGHT
            keep(key, bg)
    return feats, surf
