"""The reference values for tuneforge's drift statistics (module drift, ScipyParityTest).

Reads the cases the Java test wrote (JSON), computes every statistic with scipy / scikit-learn / numpy, and writes
the values back as JSON, case by case, in the same order. Usage: drift_reference.py CASES.json OUT.json

- ks: scipy.stats.ks_2samp, method 'auto' (exact) when max(n1, n2) <= 10000, else method 'exact'
- wasserstein: scipy.stats.wasserstein_distance
- jensenshannon: scipy.spatial.distance.jensenshannon (base e)
- roc_auc: sklearn.metrics.roc_auc_score
- psi: Evidently's psi stat test from its written formula (evidently.calculations.stattests.psi._psi and
  utils.get_binned_data): Sturges bins of the pooled sample when the reference has more than 20 distinct values,
  one bin per value otherwise; empty bins filled per sample; sum (ref - cur) ln(ref / cur)
- two_proportion: pooled z, 2 * scipy.stats.norm.sf(|z|)
- mmd: unbiased MMD^2 with a Gaussian kernel, bandwidth the median pairwise distance (numpy)
- vocabulary_shift: ids with at least 5 expected window tokens (by reference share, most frequent first, at most
  255) are buckets of their own, the rest one bucket; jensenshannon of the bucket counts and
  scipy.stats.chi2.sf(8 JS^2 n1 n2 / (n1 + n2), k - 1) over the k non-empty buckets
- hashed_ngrams: sklearn HashingVectorizer(analyzer="char", ngram_range=(3, 3), alternate_sign=False, norm="l2")
  on " " + NFC(prompt) + " "
"""

import json
import sys
import unicodedata

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2, ks_2samp, norm, wasserstein_distance
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.metrics import roc_auc_score


def ks(case):
    a = np.asarray(case["a"], dtype=np.float64)
    b = np.asarray(case["b"], dtype=np.float64)
    method = "auto" if max(len(a), len(b)) <= 10000 else "exact"
    result = ks_2samp(a, b, method=method)
    return {"statistic": float(result.statistic), "pvalue": float(result.pvalue), "method": method}


def wasserstein(case):
    return {"value": float(wasserstein_distance(case["a"], case["b"]))}


def js(case):
    return {"value": float(jensenshannon(np.asarray(case["p"], dtype=np.float64),
                                         np.asarray(case["q"], dtype=np.float64)))}


def roc_auc(case):
    return {"value": float(roc_auc_score(np.asarray(case["labels"], dtype=bool), np.asarray(case["scores"])))}


def _fill_zeroes(percents):
    nonzero_min = min(percents[percents != 0])
    np.place(percents, percents == 0, nonzero_min / 10**6 if nonzero_min <= 0.0001 else 0.0001)


def psi(case):
    dtype = np.int64 if case["integer"] else np.float64
    reference = np.asarray(case["a"], dtype=dtype)
    current = np.asarray(case["b"], dtype=dtype)
    if len(np.unique(reference)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([reference, current]), bins="sturges")
        reference_percents = np.histogram(reference, bins)[0] / len(reference)
        current_percents = np.histogram(current, bins)[0] / len(current)
    else:
        keys = list(set(np.unique(reference).tolist()) | set(np.unique(current).tolist()))
        reference_percents = np.array([np.count_nonzero(reference == k) / len(reference) for k in keys])
        current_percents = np.array([np.count_nonzero(current == k) / len(current) for k in keys])
    _fill_zeroes(reference_percents)
    _fill_zeroes(current_percents)
    value = 0.0
    for r, c in zip(reference_percents, current_percents):
        value += (r - c) * np.log(r / c)
    return {"value": float(value)}


def two_proportion(case):
    x1, n1, x2, n2 = case["x1"], case["n1"], case["x2"], case["n2"]
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return {"z": 0.0, "pvalue": 1.0}
    z = (x2 / n2 - x1 / n1) / se
    return {"z": float(z), "pvalue": float(2 * norm.sf(abs(z)))}


def mmd(case):
    x = np.asarray(case["x"], dtype=np.float64)
    y = np.asarray(case["y"], dtype=np.float64)
    pooled = np.concatenate([x, y])
    squared = ((pooled[:, None, :] - pooled[None, :, :]) ** 2).sum(axis=-1)
    upper = np.triu_indices(len(pooled), k=1)
    median = float(np.median(np.sqrt(squared[upper])))
    sigma = median if median > 0 else 1.0
    kernel = np.exp(-squared / (2 * sigma * sigma))
    np.fill_diagonal(kernel, 0.0)
    m, n = len(x), len(y)
    value = (kernel[:m, :m].sum() / (m * (m - 1)) + kernel[m:, m:].sum() / (n * (n - 1))
             - 2 * kernel[:m, m:].sum() / (m * n))
    return {"value": float(value), "bandwidth": sigma}


def vocabulary_shift(case):
    reference = np.asarray(case["p"], dtype=np.int64)
    window = np.asarray(case["q"], dtype=np.int64)
    n1, n2 = int(reference.sum()), int(window.sum())
    candidates = [i for i in range(len(reference)) if reference[i] / n1 * n2 >= 5.0]
    candidates.sort(key=lambda i: (-reference[i], i))
    own = candidates[:255]
    other = np.ones(len(reference), dtype=bool)
    other[own] = False
    ref = np.append(reference[own], reference[other].sum())
    cur = np.append(window[own], window[other].sum())
    distance = float(jensenshannon(ref.astype(np.float64), cur.astype(np.float64)))
    k = int(np.count_nonzero(ref + cur))
    if k < 2:
        return {"value": distance, "pvalue": 1.0}
    return {"value": distance, "pvalue": float(chi2.sf(8 * distance**2 * n1 * n2 / (n1 + n2), k - 1))}


def hashed_ngrams(case):
    vectorizer = HashingVectorizer(analyzer="char", ngram_range=(3, 3), n_features=case["dimensions"],
                                   alternate_sign=False, norm="l2")
    texts = [" " + unicodedata.normalize("NFC", t) + " " for t in case["prompts"]]
    return {"vectors": vectorizer.transform(texts).toarray().tolist()}


STATISTICS = {
    "ks": ks,
    "wasserstein": wasserstein,
    "js": js,
    "roc_auc": roc_auc,
    "psi": psi,
    "two_proportion": two_proportion,
    "mmd": mmd,
    "vocabulary_shift": vocabulary_shift,
    "hashed_ngrams": hashed_ngrams,
}


def main(cases_path, out_path):
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    results = [STATISTICS[case["statistic"]](case) for case in cases]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
