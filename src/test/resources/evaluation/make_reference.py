#!/usr/bin/python3
"""Independent reference values for the Java evaluation tests (io.github.samfiji.evaluation).

Computes, with numpy, scipy and scikit-learn (Debian's python3-numpy, python3-scipy, python3-sklearn; run with
/usr/bin/python3), on seeded random inputs:

- per-label Dice, IoU, sensitivity, specificity, precision, F1 from voxel counts;
- HD95 and ASSD as medpy.metric.binary defines them (surface = mask minus its erosion by the cross-shaped
  structuring element, border value 0; distances by scipy.ndimage.distance_transform_edt with `sampling`;
  hd95 = numpy.percentile of both directions pooled, 95; assd = mean of the two directed means);
- AUC with sklearn.metrics.roc_auc_score;
- the Euclidean distance transform itself (scipy);
- Wilcoxon signed-rank tests with scipy.stats.wilcoxon (exact and normal approximation);
- McNemar tests: exact with scipy.stats.binomtest, chi-square with continuity correction from scipy.stats.chi2;
- DeLong's test with a direct O(m n) numpy implementation of the kernel (independent of the placement-value
  algorithm in Java);
- instance matching with the Hungarian algorithm (scipy.optimize.linear_sum_assignment), independent of the
  greedy matching in Java;
- mean, sample s.d. and median with numpy.

Arrays are stored flat in C order of numpy's (z, y, x) shape, so x varies fastest, as imglib2's flat iteration;
`dims` and `spacing` are listed in imglib2 order (x, y[, z]).

Usage: /usr/bin/python3 make_reference.py > reference.json
"""
import json
import sys

import numpy as np
from scipy import ndimage, stats
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(20250611)


def flat(a):
    return a.ravel(order="C").tolist()


def imglib_order(values):
    return list(reversed(list(values)))


def field(shape, sigma):
    return ndimage.gaussian_filter(rng.standard_normal(shape), sigma)


def levels(f, cuts):
    return np.digitize(f, cuts).astype(np.int64)


def surface(mask):
    structure = ndimage.generate_binary_structure(mask.ndim, 1)
    return mask & ~ndimage.binary_erosion(mask, structure=structure, iterations=1)


def directed(a, b, sampling):
    dt = ndimage.distance_transform_edt(~surface(b), sampling=sampling)
    return dt[surface(a)]


def nan_to_none(x):
    x = float(x)
    return None if np.isnan(x) else x


def ratio(n, d):
    return float(n) / d if d > 0 else float("nan")


def label_metrics(pred, truth, prob, label, sampling):
    p = pred == label
    g = truth == label
    tp = int(np.sum(p & g))
    fp = int(np.sum(p & ~g))
    fn = int(np.sum(~p & g))
    tn = int(np.sum(~p & ~g))
    if tp + fp + fn == 0:
        dice, iou = 1.0, 1.0
    else:
        dice = 2 * tp / (2 * tp + fp + fn)
        iou = tp / (tp + fp + fn)
    hd95 = assd = float("nan")
    if p.any() and g.any():
        d_pg = directed(p, g, sampling)
        d_gp = directed(g, p, sampling)
        hd95 = float(np.percentile(np.hstack((d_pg, d_gp)), 95))
        assd = float(np.mean((d_pg.mean(), d_gp.mean())))
    auc = float("nan")
    if prob is not None and 0 < g.sum() < g.size:
        auc = float(roc_auc_score(g.ravel(), prob.ravel()))
    return {
        "label": int(label), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "dice": dice, "iou": iou, "sensitivity": nan_to_none(ratio(tp, tp + fn)),
        "specificity": nan_to_none(ratio(tn, tn + fp)), "precision": nan_to_none(ratio(tp, tp + fp)),
        "f1": dice, "auc": nan_to_none(auc), "hd95": nan_to_none(hd95), "assd": nan_to_none(assd),
    }


def segmentation_case(name, shape, sampling, cuts, noise, drop_label=None):
    t_field = field(shape, 2.0)
    p_field = t_field + noise * field(shape, 1.5)
    truth = levels(t_field, cuts)
    pred = levels(p_field, cuts)
    if drop_label is not None:
        pred[pred == drop_label] = 0
    # A probability of "foreground" with ties: a logistic of the perturbed field, rounded to 2 decimals.
    prob = np.round(1 / (1 + np.exp(-8 * (p_field - cuts[0]))), 2)
    labels = sorted((set(np.unique(truth).tolist()) | set(np.unique(pred).tolist())) - {0})
    results = []
    for label in labels:
        results.append(label_metrics(pred, truth, prob, label, sampling))
    return {
        "name": name, "dims": imglib_order(shape), "spacing": imglib_order(sampling),
        "truth": flat(truth), "prediction": flat(pred), "probability": flat(prob), "labels": results,
    }


def edt_case(shape, sampling, density):
    sites = rng.random(shape) < density
    distance = ndimage.distance_transform_edt(~sites, sampling=sampling)
    return {"dims": imglib_order(shape), "spacing": imglib_order(sampling), "sites": flat(sites.astype(int)),
            "distance": flat(distance)}


def wilcoxon_case(name, a, b, method, correction=False):
    res = stats.wilcoxon(a, b, zero_method="wilcox", correction=correction, method=method)
    return {"name": name, "a": a.tolist(), "b": b.tolist(), "method": method, "correction": correction,
            "statistic": float(res.statistic), "p": float(res.pvalue)}


def mcnemar_case(b, c):
    n = b + c
    exact = float(stats.binomtest(b, n, 0.5).pvalue) if n > 0 else 1.0
    stat = max(0.0, abs(b - c) - 1.0) ** 2 / n if n > 0 else 0.0
    return {"b": b, "c": c, "exact_p": exact, "chi2_statistic": stat, "chi2_p": float(stats.chi2.sf(stat, 1))}


def delong_direct(truth, a, b):
    pos = truth.astype(bool)

    def kernel(s):
        x = s[pos][:, None]
        y = s[~pos][None, :]
        return (x > y).astype(float) + 0.5 * (x == y)

    ka, kb = kernel(a), kernel(b)
    v10 = np.vstack((ka.mean(axis=1), kb.mean(axis=1)))
    v01 = np.vstack((ka.mean(axis=0), kb.mean(axis=0)))
    s10 = np.cov(v10)
    s01 = np.cov(v01)
    m, n = ka.shape
    contrast = np.array([1.0, -1.0])
    var = contrast @ s10 @ contrast / m + contrast @ s01 @ contrast / n
    auc_a, auc_b = ka.mean(), kb.mean()
    z = (auc_a - auc_b) / np.sqrt(var)
    p = 2 * stats.norm.sf(abs(z))
    assert abs(auc_a - roc_auc_score(truth, a)) < 1e-12
    assert abs(auc_b - roc_auc_score(truth, b)) < 1e-12
    return {"truth": truth.astype(int).tolist(), "a": a.tolist(), "b": b.tolist(), "auc_a": float(auc_a),
            "auc_b": float(auc_b), "se": float(np.sqrt(var)), "z": float(z), "p": float(p)}


def instances_case(name, shape, sigma, noise):
    t_field = field(shape, sigma)
    p_field = t_field + noise * field(shape, sigma)
    truth, nt = ndimage.label(t_field > 0.05)
    pred, n_pred = ndimage.label(p_field > 0.05)
    inter = np.zeros((nt + 1, n_pred + 1))
    np.add.at(inter, (truth.ravel(), pred.ravel()), 1)
    size_t = inter.sum(axis=1)
    size_p = inter.sum(axis=0)
    union = size_t[:, None] + size_p[None, :] - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0)[1:, 1:]
    thresholds = [(50 + 5 * k) / 100 for k in range(10)]
    tps = []
    matched_iou = float("nan")
    for t in thresholds:
        allowed = iou >= t
        if nt == 0 or n_pred == 0:
            tps.append(0)
            continue
        rows, cols = linear_sum_assignment(-np.where(allowed, 1.0 + iou, 0.0))
        keep = allowed[rows, cols]
        tps.append(int(keep.sum()))
        if t == 0.5 and keep.any():
            matched_iou = float(iou[rows[keep], cols[keep]].mean())
    sa = [tp / (nt + n_pred - tp) if nt + n_pred - tp > 0 else 1.0 for tp in tps]
    return {"name": name, "dims": imglib_order(shape), "truth": flat(truth), "prediction": flat(pred),
            "n_truth": int(nt), "n_pred": int(n_pred), "tp": tps, "msa": float(np.mean(sa)),
            "mean_matched_iou": nan_to_none(matched_iou)}


def main():
    out = {"generator": "make_reference.py", "numpy": np.__version__, "scipy": __import__("scipy").__version__,
           "sklearn": __import__("sklearn").__version__}
    out["segmentation"] = [
        segmentation_case("2d_binary_anisotropic", (40, 50), (1.3, 0.5), [0.0], 0.6),
        segmentation_case("2d_multilabel", (36, 44), (1.0, 1.0), [-0.05, 0.05, 0.15], 0.5),
        segmentation_case("3d_multilabel_anisotropic", (10, 24, 20), (2.5, 0.8, 0.7), [-0.02, 0.03, 0.08], 0.5),
        segmentation_case("3d_label_missing_in_prediction", (8, 16, 18), (3.0, 1.0, 1.0), [-0.02, 0.04], 0.4,
                          drop_label=2),
    ]
    # (scipy's result without any site is not a distance, so every case has sites.)
    out["edt"] = [edt_case((13, 11), (0.7, 1.9), 0.03), edt_case((9, 13, 11), (2.0, 0.7, 1.3), 0.01),
                  edt_case((1, 40, 3), (1.0, 0.3, 1.0), 0.02)]

    wil = []
    a = rng.random(12)
    wil.append(wilcoxon_case("n12_exact", a, a - rng.normal(0.08, 0.1, 12), "exact"))
    wil.append(wilcoxon_case("n12_normal", a, a - rng.normal(0.08, 0.1, 12), "approx"))
    a = rng.random(20)
    wil.append(wilcoxon_case("n20_exact", a, a - rng.normal(0.02, 0.1, 20), "exact"))
    a = np.round(rng.random(20), 1)
    b = np.round(a - rng.normal(0.05, 0.15, 20), 1)
    wil.append(wilcoxon_case("n20_ties_and_zeros", a, b, "approx"))
    wil.append(wilcoxon_case("n20_ties_and_zeros_corrected", a, b, "approx", correction=True))
    a = rng.random(60)
    wil.append(wilcoxon_case("n60_normal", a, a - rng.normal(0.01, 0.1, 60), "approx"))
    out["wilcoxon"] = wil

    out["mcnemar"] = [mcnemar_case(b, c) for b, c in
                      [(10, 2), (3, 3), (0, 5), (7, 1), (40, 22), (120, 95), (1000, 1100), (13, 11)]]

    dl = []
    truth = (rng.random(100) < 0.4).astype(int)
    s = truth + rng.normal(0, 0.9, 100)
    dl.append(delong_direct(truth, s + rng.normal(0, 0.3, 100), s + rng.normal(0, 0.8, 100)))
    truth = (rng.random(150) < 0.3).astype(int)
    s = truth * 0.8 + rng.normal(0, 1, 150)
    dl.append(delong_direct(truth, np.round(s + rng.normal(0, 0.5, 150), 1), np.round(rng.normal(0, 1, 150) + 0.3 * truth, 1)))
    out["delong"] = dl

    out["instances"] = [instances_case("2d", (60, 70), 2.5, 0.25), instances_case("3d", (8, 30, 28), 2.0, 0.3)]

    summary = []
    for n in (1, 2, 7, 30):
        v = rng.random(n)
        if n >= 7:
            v[[1, 4]] = np.nan
        summary.append({"values": [nan_to_none(x) for x in v], "mean": float(np.nanmean(v)),
                        "sd": nan_to_none(np.nanstd(v, ddof=1)) if np.sum(~np.isnan(v)) > 1 else None,
                        "median": float(np.nanmedian(v))})
    out["summary"] = summary

    json.dump(out, sys.stdout, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
