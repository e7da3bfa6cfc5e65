"""A linear classifier over character n-grams: the router's discriminative voter.

Trained (with scikit-learn's LinearSVC, only while training) on the catalogue text, the shipped
situations and the county's confirmed reports; scored here in plain Python from stored weights,
so routing needs neither scikit-learn nor a segmentation dictionary at run time. Character 1–3-grams
carry typos, homophones and unusual segmentation as well as words do, and a discriminative model
learns which n-grams tell two neighbouring items apart (盗伐 vs 滥伐), which a centroid cannot.

Weights are pruned to those that matter (|w| ≥ PRUNE) and stored as plain data: per n-gram its idf
and a list of (class index, weight).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from operator import add

NGRAMS = (1, 3)
MIN_DF = 2
C = 0.5
# Weights below this in magnitude change no ranking on the benchmark and triple the model's size.
PRUNE = 0.08

_SPACES = re.compile(r"\s\s+")


def analyse(text: str) -> list[str]:
    """Character n-grams as scikit-learn's `analyzer="char"` makes them (lower case, runs of white
    space as one space), so the weights trained there apply here unchanged."""
    t = _SPACES.sub(" ", (text or "").lower())
    lo, hi = NGRAMS
    if (lo, hi) == (1, 3):  # the same, built in C: characters, then pairs, then triples
        two = list(map(add, t, t[1:]))
        return [*t, *two, *map(add, two, t[2:])]
    n = len(t)
    out: list[str] = []
    for k in range(lo, hi + 1):
        out += [t[i : i + k] for i in range(n - k + 1)]
    return out


class LinearModel:
    """Decision values of a one-vs-rest linear classifier over tf-idf character n-grams."""

    def __init__(self, classes: list[str], intercepts, grams: list[str], idf, weights) -> None:
        import numpy as np

        self.classes = list(classes)
        self.intercepts = np.asarray(intercepts, dtype=np.float32)
        self.grams = list(grams)
        self.index = {g: j for j, g in enumerate(self.grams)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32).reshape(len(self.grams), len(self.classes))

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None):
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vec = TfidfVectorizer(analyzer=analyse, sublinear_tf=True, min_df=MIN_DF, lowercase=False)
        x = vec.fit_transform(list(texts))
        # A fixed seed: liblinear shuffles the samples, and a county retraining the same data
        # should get the same model (and the bench the same figures).
        svm = LinearSVC(C=C, max_iter=5000, random_state=0)
        svm.fit(x, list(labels), sample_weight=list(weights) if weights is not None else None)
        coef = svm.coef_
        inter = svm.intercept_
        if len(svm.classes_) == 2:  # binary: one row of weights, for the second class
            coef = np.vstack([-coef[0], coef[0]])
            inter = np.array([-inter[0], inter[0]])
        grams = [""] * len(vec.vocabulary_)
        for g, j in vec.vocabulary_.items():
            grams[j] = g
        w = coef.T.astype(np.float32)
        w[np.abs(w) < PRUNE] = 0.0  # changes no ranking here; stored compressed anyway
        return cls([str(c) for c in svm.classes_], inter, grams, vec.idf_, w)

    def scores(self, text: str) -> dict[str, float]:
        """class → decision value (higher is better)."""
        return dict(zip(self.classes, self.score_array(text).tolist(), strict=True))

    def score_array(self, text: str):
        """Decision values in the order of `self.classes`."""
        import numpy as np

        return self._decisions(text).astype(np.float64)

    def shifted_scores(self, text: str, shift: float):
        """`shift + self.score_array(text)`, in one step."""
        import numpy as np

        return np.add(self._decisions(text), shift, dtype=np.float64)

    def _decisions(self, text: str):
        """Decision values in the order of `self.classes`, as float32."""
        import numpy as np

        # Every gram's row (None: unknown), counted in C: the known grams in order of first
        # occurrence, each with how often it occurs.
        t = _SPACES.sub(" ", (text or "").lower())
        if NGRAMS == (1, 3):  # analyse(text)'s grams, in its order, without the list
            get = self.index.get
            two = list(map(add, t, t[1:]))
            counts = Counter(chain(map(get, t), map(get, two), map(get, map(add, two, t[2:]))))
        else:
            counts = Counter(map(self.index.get, analyse(text)))
        counts.pop(None, None)
        if not counts:
            return self.intercepts
        idx = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        return self.decide(idx, tf)

    def decide(self, idx, tf):
        """Decision values (float32) of a text whose known grams are the rows `idx` (int64, in order
        of first occurrence), each occurring `tf` times (float32)."""
        import numpy as np

        vals = (1.0 + np.log(tf)) * self.idf[idx]
        vals /= float(np.sqrt(vals @ vals)) or 1.0
        return vals @ self.weights[idx] + self.intercepts

    def to_dict(self) -> dict:
        import base64

        import numpy as np

        flat = np.flatnonzero(self.weights)
        return {
            "classes": self.classes,
            "intercepts": self.intercepts.tolist(),
            "grams": self.grams,
            "idf": base64.b64encode(self.idf.astype("<f4").tobytes()).decode(),
            # Sparse (most weights were pruned to 0): flat positions and their values.
            "nonzero": base64.b64encode(flat.astype("<u4").tobytes()).decode(),
            "values": base64.b64encode(self.weights.ravel()[flat].astype("<f4").tobytes()).decode(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> LinearModel:
        import base64

        import numpy as np

        idf = np.frombuffer(base64.b64decode(d["idf"]), dtype="<f4")
        w = np.zeros(len(d["grams"]) * len(d["classes"]), dtype=np.float32)
        flat = np.frombuffer(base64.b64decode(d["nonzero"]), dtype="<u4")
        w[flat] = np.frombuffer(base64.b64decode(d["values"]), dtype="<f4")
        return cls(d["classes"], d["intercepts"], d["grams"], idf, w)
