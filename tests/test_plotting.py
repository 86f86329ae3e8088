"""skstc.plotting, headless: each figure is checked by what it drew."""

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from skstc import plotting  # noqa: E402


def axes(n=1):
    return list(Figure().subplots(1, n, squeeze=False)[0])


def test_truth_and_clusters_share_matched_colours_and_legend():
    truth = np.array([[1, 1, 8, 8],
                      [1, 1, 8, 8],
                      [4, 4, -1, -1]])
    # cluster 2 is class 1, cluster 0 is class 8, cluster 1 is class 4, cluster 3 has no class
    clusters = np.array([[2, 2, 0, 0],
                         [2, 2, 0, 3],
                         [1, 1, 3, 3]])
    ax_t, ax_c = plotting.plot_truth_and_clusters(truth, clusters,
                                                  class_names={1: "crops", 8: "urban"},
                                                  axes=axes(2))
    img_t = ax_t.images[0].get_array()
    img_c = ax_c.images[0].get_array()
    agree = (truth >= 0) & ~((truth == 8) & (clusters == 3))
    np.testing.assert_array_equal(img_t[agree], img_c[agree])
    # the unmatched cluster has a colour no class has; missing reference is transparent
    assert not any(np.allclose(img_c[1, 3], img_t[i, j]) for i, j in zip(*np.nonzero(agree)))
    assert (img_t[truth < 0][:, 3] == 0).all() and (img_c[:, :, 3] == 1).all()
    texts = [t.get_text() for t in ax_c.get_legend().get_texts()]
    assert texts == ["crops: cluster 2", "class 4: cluster 1", "urban: cluster 0",
                     "no class: cluster 3"]
    # the legend sits outside the map (anchored right of the axes)
    assert ax_c.get_legend().get_bbox_to_anchor().x0 >= ax_c.get_window_extent().x1 - 1


def test_truth_and_clusters_shape_check():
    with pytest.raises(ValueError, match="one shape"):
        plotting.plot_truth_and_clusters(np.zeros((2, 2), int), np.zeros((2, 3), int))


def test_label_maps_use_coordinates_and_legend():
    lm = xr.DataArray(np.array([[0, 1], [2, -1]]), dims=("y", "x"),
                      coords={"y": [15.0, 5.0], "x": [100.0, 110.0]})
    (ax,) = plotting.plot_label_maps(lm, axes=axes(1), legend=True)
    img = ax.images[0]
    assert img.get_extent() == [95.0, 115.0, 0.0, 20.0]
    rgba = img.get_array()
    assert rgba[1, 1, 3] == 0 and len({tuple(rgba[i, j]) for i, j in [(0, 0), (0, 1),
                                                                      (1, 0)]}) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "cluster 0", "cluster 1", "cluster 2"]


def test_history_draws_each_key_with_gaps_and_phase_marks():
    hist = [{"phase": "pretrain", "train_loss": 3.0, "recon": 3.0},
            {"phase": "pretrain", "train_loss": 2.0, "recon": 2.0},
            {"phase": "cluster", "train_loss": 1.5, "recon": 1.0, "kl": 0.5},
            {"phase": "cluster", "train_loss": 1.2, "recon": 0.9, "kl": 0.3}]
    ax = plotting.plot_history(hist, keys=("train_loss", "kl"), ax=axes()[0])
    assert [line.get_label() for line in ax.lines[:2]] == ["train_loss", "kl"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1, 2, 3, 4])
    kl = ax.lines[1].get_ydata()
    assert np.isnan(kl[:2]).all() and kl[2:].tolist() == [0.5, 0.3]
    # one boundary between the phases at epoch 2.5, and the phase names written
    boundaries = [line.get_xdata()[0] for line in ax.lines[2:]]
    assert boundaries == [2.5]
    assert [t.get_text() for t in ax.texts] == ["pretrain", "cluster"]
    assert ax.get_xlabel() == "epoch"
    with pytest.raises(ValueError, match="numeric keys are"):
        plotting.plot_history(hist, keys=("valid_loss",), ax=axes()[0])


def test_cluster_series_mean_and_spread():
    X = np.array([[0.0, 0.0, 0.0], [2.0, 4.0, 6.0], [10.0, 10.0, 10.0], [5.0, 5.0, 5.0]])
    labels = np.array([0, 0, 1, -1])
    time = np.array([10, 20, 30])
    ax = plotting.plot_cluster_series(X, labels, time=time, ax=axes()[0])
    assert len(ax.lines) == 2                         # the -1 row is left out
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), time)
    band = ax.collections[0].get_paths()[0].vertices
    assert np.isclose(band[:, 1].max(), 3.0 + 3.0) and np.isclose(band[:, 1].min(), 0.0)
    assert ax.get_legend().get_texts()[0].get_text() == "cluster 0 (n=2)"
    da = xr.DataArray(X[:3], dims=("sample", "month"), coords={"month": [1, 2, 3]})
    ax = plotting.plot_cluster_series(da, labels[:3], spread="quartiles", ax=axes()[0])
    np.testing.assert_allclose(ax.lines[1].get_xdata(), [1, 2, 3])
    band = ax.collections[0].get_paths()[0].vertices
    assert np.isclose(band[:, 1].max(), np.percentile([6.0, 0.0], 75))


def test_composites_share_one_scale_and_coordinates():
    C = xr.DataArray(np.stack([np.full((2, 3), 1.0), np.full((2, 3), 5.0)]),
                     dims=("regime", "lat", "lon"),
                     coords={"lat": [50.0, 40.0], "lon": [0.0, 10.0, 20.0],
                             "frequency": ("regime", [0.25, 0.75])})
    axs = plotting.plot_composites(C, axes=axes(2), title="msl")
    assert [ax.images[0].get_clim() for ax in axs] == [(1.0, 5.0), (1.0, 5.0)]
    assert axs[0].images[0].get_extent() == [0.0, 20.0, 40.0, 50.0]
    assert [ax.get_title() for ax in axs] == ["msl: regime 0 (25%)", "msl: regime 1 (75%)"]
    anom = plotting.plot_composites(C, axes=axes(2), anomaly=True)
    np.testing.assert_allclose(anom[0].images[0].get_array(), -2.0)
    assert anom[0].images[0].get_clim() == (-2.0, 2.0)
    assert anom[0].images[0].get_cmap().name == "RdBu_r"


def test_label_confusion_counts_and_precision():
    y_true = np.array([0, 0, 1, 1, 2, -1, 2])
    y_aug = np.array([0, 1, 1, 1, -1, 0, 2])
    ax = plotting.plot_label_confusion(y_true, y_aug, class_names=["a", "b", "c"],
                                       ax=axes()[0])
    np.testing.assert_array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 2, 0], [0, 0, 1]])
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "0", "0", "0", "1"]
    assert ax.get_title() == "5 labels, precision 0.80"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="no row has both"):
        plotting.plot_label_confusion([-1], [0], ax=axes()[0])


def test_functions_make_their_own_figure():
    import matplotlib.pyplot as plt

    ax = plotting.plot_history([{"train_loss": 1.0}, {"train_loss": 0.5}])
    try:
        assert ax.lines[0].get_ydata().tolist() == [1.0, 0.5] and not ax.texts
    finally:
        plt.close(ax.figure)


def test_cluster_series_skips_missing_values_without_warnings():
    import warnings

    X = np.array([[1.0, np.nan, 3.0], [3.0, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plotting.plot_cluster_series(X, [0, 0], ax=axes()[0])
        plotting.plot_cluster_series(X, [0, 0], spread="quartiles", ax=axes()[0])
    y = ax.lines[0].get_ydata()
    assert y[0] == 2.0 and np.isnan(y[1]) and y[2] == 3.0


# ---- plotting --------------------------------------------------------------------------------
def test_plots_draw():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from skstc.plotting import plot_label_maps, plot_mds, plot_semantic_tree

    maps = [np.array([[0, 1], [2, -1]]), np.array([[1, 1, 0]])]
    axes = plot_label_maps(maps, colors=np.eye(3))
    assert len(axes) == 2 and len(axes[0].images) == 1
    img = axes[0].images[0].get_array()
    np.testing.assert_allclose(img[0, 0], [1, 0, 0, 1])
    assert img[1, 1, 3] == 0   # -1 transparent
    ax = plot_mds(np.random.rand(5, 2), [0, 1, 2, 0, 1])
    assert len(ax.collections) == 1
    ax = plot_semantic_tree(np.random.rand(4, 3), [10, 5, 1, 7])
    assert len(ax.lines) == 3
    plt.close("all")



def axvlines(ax):
    """x of the vertical lines drawn across the axes (``axvline``)."""
    return {float(line.get_xdata()[0]) for line in ax.lines
            if len(line.get_xdata()) == 2 and np.ptp(line.get_xdata()) == 0
            and list(line.get_ydata()) == [0, 1]}


def test_plot_choose_k_draws_the_table_and_the_suggestions():
    import pandas as pd
    from sklearn.utils import Bunch

    table = pd.DataFrame({"n_clusters": [2, 3, 4, 5], "inertia": [90.0, 40.0, 10.0, 8.0],
                          "inertia_std": [1.0, 2.0, 0.5, 0.1],
                          "silhouette": [0.5, 0.6, 0.8, 0.55],
                          "silhouette_std": [0.0, 0.01, 0.02, 0.03],
                          "stability": [1.0, 0.95, 1.0, 0.6], "fit_time": [1.0] * 4})
    result = Bunch(table=table, suggested_k=4, knee_k=3, stability_threshold=0.8)
    ax_i, ax_s, ax_r = plotting.plot_choose_k(result, axes=axes(3))
    for ax, col in ((ax_i, "inertia"), (ax_s, "silhouette"), (ax_r, "stability")):
        curve = ax.lines[0]
        np.testing.assert_array_equal(curve.get_xdata(), [2, 3, 4, 5])
        np.testing.assert_array_equal(curve.get_ydata(), table[col])
        assert 4 in axvlines(ax)
        assert "suggested k = 4" in [t.get_text() for t in ax.get_legend().get_texts()]
    # the seeds' spread as error bars on inertia and silhouette, none on stability
    segments = ax_i.collections[0].get_segments()
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], 2 * table["inertia_std"])
    assert not ax_r.collections
    # the knee on the inertia panel only; the stability threshold as a horizontal line
    assert axvlines(ax_i) == {3, 4} and axvlines(ax_s) == {4}
    assert any(np.ptp(line.get_ydata()) == 0 and line.get_ydata()[0] == 0.8
               for line in ax_r.lines[1:])
    with pytest.raises(ValueError, match="3 Axes"):
        plotting.plot_choose_k(result, axes=axes(2))


def test_plot_choose_k_on_a_real_scan():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs

    from skstc.inspection import choose_n_clusters

    X, _ = make_blobs(n_samples=150, centers=3, cluster_std=0.5, random_state=0)
    res = choose_n_clusters(KMeans(n_init=2), X, n_clusters=[2, 3, 4, 5], n_seeds=1,
                            random_state=0)
    ax_i, ax_s, ax_r = plotting.plot_choose_k(res, axes=axes(3))
    np.testing.assert_allclose(ax_s.lines[0].get_ydata(), res.table["silhouette"])
    assert np.isnan(ax_r.lines[0].get_ydata()).all()  # one seed: no stability
