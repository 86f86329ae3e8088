"""The ``skstc`` command line end to end on small files written by the tests."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

import skstc
from skstc.cli import main

ROOT = Path(__file__).resolve().parents[1]
TINY_T2V = ["--tile-size", "8", "--embedding-dim", "4", "--n-blocks", "1,1", "--base-width",
            "4", "--epochs", "1", "--triplets", "32",
            "--refine-epochs", "1", "--threads", "1"]
TINY_DSC = ["--embedding-dim", "4", "--conv-channels", "4,8", "--lstm-hidden-size", "8", "--epochs", "2", "--pretrain-epochs", "1", "--batch-size",
            "16", "--threads", "1"]
TINY_OBJ = ["--embedding-dim", "4", "--conv-channels", "4", "--lstm-hidden-size", "8", "--epochs", "2", "--threads", "1", "-k", "4",
            "--augment-clusters", "8"]


def run(args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="skstc",
                              catch_exceptions=False, **kwargs)


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    """A (time, band, y, x) reflectance cube on projected coords, a CRS and a truth map."""
    from skstc.datasets import make_image_sequence

    images, zones = make_image_sequence(n_regions=1, n_times=3, n_bands=2, height=32,
                                        width=32, random_state=0)
    y = 5_100_000.0 - 10.0 * np.arange(32)
    x = 500_000.0 + 10.0 * np.arange(32)
    ds = xr.Dataset(
        {"refl": (("date", "band", "row", "col"), images[0].astype("float32")),
         "valid": (("date", "row", "col"), np.ones((3, 32, 32), dtype="uint8")),
         "zone": (("row", "col"), zones[0].astype("int16"))},
        coords={"row": y, "col": x, "date": pd.date_range("2020-01-01", periods=3)},
        attrs={"crs": "EPSG:32633", "source": "test"})
    ds["valid"][0, :4, :4] = 0
    path = tmp_path_factory.mktemp("tiles") / "cube.nc"
    ds.to_netcdf(path)
    return path


@pytest.fixture(scope="module")
def fields_file(tmp_path_factory):
    from skstc.datasets import make_climate_fields

    ds, _ = make_climate_fields(n_times=40, n_regimes=2, grid_shape=(8, 8), as_xarray=True,
                                random_state=0)
    ds = ds.rename(time="valid_time", lat="latitude", lon="longitude")
    ds["var0"][0, 0, 0] = np.nan                    # one gap: filled by FieldNaNFiller
    path = tmp_path_factory.mktemp("regimes") / "fields.nc"
    ds.to_netcdf(path)
    return path


@pytest.fixture(scope="module")
def objects_file(tmp_path_factory):
    from skstc.datasets import make_water_bodies
    from skstc.preprocessing import split_modalities

    X, y = make_water_bodies(48, n_timesteps=12, map_size=8, random_state=0)
    maps, series = split_modalities(X, (8, 8))
    y_few = np.full_like(y, -1)
    for c in range(4):
        y_few[np.flatnonzero(y == c)[:3]] = c
    ds = xr.Dataset({"wmap": (("lake", "y", "x"), maps), "wsize": (("lake", "month"), series),
                     "cls": ("lake", y_few), "truth": ("lake", y)},
                    coords={"lake": 1000 + np.arange(len(y))})
    path = tmp_path_factory.mktemp("objects") / "lakes.nc"
    ds.to_netcdf(path)
    return path


# ---- the program -------------------------------------------------------------------------
def test_version_and_help():
    res = run(["--version"])
    assert res.exit_code == 0 and skstc.__version__ in res.output
    for cmd in (["tiles"], ["regimes"], ["objects"], ["objects", "fit"], ["objects", "apply"],
                ["demo"]):
        res = run(cmd + ["--help"])
        assert res.exit_code == 0, cmd
        assert "Usage: " in res.output and ":class:" not in res.output


def test_help_starts_without_heavy_imports():
    code = ("import sys; from skstc.cli import main\n"
            "try:\n    main(['--help'], prog_name='skstc')\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'xarray', 'matplotlib', 'sklearn') "
            "if m in sys.modules]\nassert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)


def test_python_m_skstc_is_the_cli():
    res = subprocess.run([sys.executable, "-m", "skstc", "--version"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert res.stdout.strip() == f"skstc, version {skstc.__version__}"


# ---- tiles ---------------------------------------------------------------------------------
def test_tiles_end_to_end(image_file, tmp_path):
    out = tmp_path / "out"
    res = run(["tiles", image_file, out, "--variable", "refl", "--time-dim", "date",
               "--y-dim", "row", "--x-dim", "col", "--valid-var", "valid", "--truth", "zone",
               "-k", "3", "--embeddings", *TINY_T2V])
    assert res.exit_code == 0, res.output
    ds = xr.open_dataset(out / "labels.nc")
    # 32 px / 8 px tiles: a 4 x 4 map on the tile centres, on the input's own dim names
    assert ds["cluster"].dims == ("row", "col") and ds["cluster"].shape == (4, 4)
    np.testing.assert_allclose(ds["col"], 500_000.0 + 10.0 * (8 * np.arange(4) + 3.5))
    assert set(np.unique(ds["cluster"])) <= {0, 1, 2}
    assert ds.attrs["crs"] == "EPSG:32633"
    assert ds.attrs["skstc_version"] == skstc.__version__
    assert ds.attrs["skstc_estimator"] == "Tile2VecSeriesKMeans"
    params = json.loads(ds.attrs["skstc_params"])
    assert params["n_clusters"] == 3 and params["tile_size"] == 8 and params["max_epochs"] == 1
    assert params["n_blocks"] == [1, 1] and params["base_width"] == 4
    assert -1 <= ds.attrs["ari_vs_truth"] <= 1 and "truth" in ds
    emb = xr.open_dataset(out / "embeddings.nc")["embedding"]
    assert emb.dims == ("row", "col", "feature") and emb.shape == (4, 4, 3 * 4)
    np.testing.assert_allclose(emb["col"], ds["col"])
    tree = json.loads((out / "tree.json").read_text())
    assert sum(tree["sizes"]) == 16 and len(tree["edges"]) == 2
    assert "semantic tree of 3 clusters" in (out / "tree.txt").read_text()
    assert tree["provenance"]["skstc_estimator"] == "Tile2VecSeriesKMeans"
    from PIL import Image

    png = Image.open(out / "labels.png")
    assert png.info["Software"] == f"skstc {skstc.__version__}"
    assert '"tile_size": 8' in png.info["Description"]
    try:
        import rioxarray
    except ImportError:
        assert not (out / "labels.tif").exists()
    else:
        tif = rioxarray.open_rasterio(out / "labels.tif").squeeze("band", drop=True)
        assert tif.rio.crs.to_epsg() == 32633
        np.testing.assert_array_equal(tif, ds["cluster"])
        np.testing.assert_allclose(tif["x"], ds["col"])


def test_tiles_errors(image_file, tmp_path):
    res = run(["tiles", tmp_path / "missing.nc", tmp_path / "o"])
    assert res.exit_code == 2 and "does not exist" in res.output
    res = run(["tiles", image_file, tmp_path / "o", "--variable", "nope"])
    assert res.exit_code == 2
    assert "'nope' not in the input" in res.output and "refl, valid, zone" in res.output
    res = run(["tiles", image_file, tmp_path / "o", "--time-dim", "t"])
    assert res.exit_code == 2 and "'t' is not a dim" in res.output and "date" in res.output
    # no variable has (time, y, x) under the default names: the dims are listed
    res = run(["tiles", image_file, tmp_path / "o"])
    assert res.exit_code == 2
    assert "--variable" in res.output and "date, band, row, col" in res.output
    # the estimator finds date/band/row/col by name: the variable alone is enough
    res = run(["tiles", image_file, tmp_path / "o", "--variable", "refl", *TINY_T2V])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o").is_dir()


def test_precision_option(fields_file, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    res = run(["regimes", fields_file, tmp_path / "o", "--precision", "fp16", *TINY_DSC])
    assert res.exit_code == 2 and "precision='fp16' needs a GPU" in res.output
    assert not (tmp_path / "o").exists()          # refused before any work
    res = run(["regimes", fields_file, tmp_path / "o", "--precision", "half"])
    assert res.exit_code == 2 and "'half' is not one of" in res.output
    from skstc.cli import _commands

    seen = {}
    real = _commands._engine_params

    def spy(*args):
        seen.update(real(*args))
        return seen

    monkeypatch.setattr(_commands, "_engine_params", spy)
    res = run(["regimes", fields_file, tmp_path / "o", "--precision", "fp32", *TINY_DSC])
    assert res.exit_code == 0, res.output
    assert seen["precision"] == "fp32"


# ---- regimes -------------------------------------------------------------------------------
def test_regimes_end_to_end(fields_file, tmp_path):
    out = tmp_path / "out"
    res = run(["regimes", fields_file, out, "--variable", "var0", "--variable", "var1",
               "-k", "2", *TINY_DSC])
    assert res.exit_code == 0, res.output
    labels = xr.open_dataset(out / "labels.nc")
    assert labels["regime"].dims == ("time",) and labels.sizes["time"] == 40
    np.testing.assert_allclose(labels["q"].sum("cluster"), 1.0, rtol=1e-5)
    assert labels.attrs["skstc_estimator"] == "DeepSpatiotemporalClustering"
    params = json.loads(labels.attrs["skstc_params"])
    assert params["n_clusters"] == 2 and params["conv_channels"] == [4, 8]
    assert params["lstm_hidden_size"] == 8
    csv = pd.read_csv(out / "labels.csv", comment="#", parse_dates=["time"])
    assert list(csv.columns) == ["time", "regime"]
    np.testing.assert_array_equal(csv["regime"], labels["regime"])
    assert (out / "labels.csv").read_text().startswith("# skstc_version: ")
    comp = xr.open_dataset(out / "composites.nc")
    assert comp["var0"].dims == ("regime", "lat", "lon")
    # a composite is the mean of the input fields over the regime's time steps
    raw = xr.open_dataset(fields_file)["var1"].values
    lab = labels["regime"].values
    for r in range(2):
        if (lab == r).any():
            np.testing.assert_allclose(comp["var1"][r], raw[lab == r].mean(0), rtol=1e-5)
    np.testing.assert_allclose(comp["frequency"], np.bincount(lab, minlength=2) / 40)
    metrics = pd.read_csv(out / "metrics.csv", comment="#", index_col=0)
    assert list(metrics.index) == ["DeepSpatiotemporalClustering", "KMeans (scaled fields)"]
    assert {"silhouette", "cluster_rmse", "average_intercluster_distance"} <= set(
        metrics.columns)
    assert (out / "composites.png").exists()


def test_regimes_errors(fields_file, tmp_path):
    res = run(["regimes", fields_file, tmp_path / "o", "--variable", "t2m"])
    assert res.exit_code == 2 and "'t2m' not in the input" in res.output
    assert "var0, var1, var2" in res.output
    res = run(["regimes", fields_file, tmp_path / "o", "--lat-dim", "lat"])
    assert res.exit_code == 2 and "valid_time, latitude, longitude" in res.output


# ---- objects -------------------------------------------------------------------------------
def test_objects_fit_then_apply(objects_file, tmp_path):
    out = tmp_path / "fit"
    res = run(["objects", "fit", objects_file, out, "--map-var", "wmap", "--series-var",
               "wsize", "--label-var", "cls", *TINY_OBJ])
    assert res.exit_code == 0, res.output
    emb = xr.open_dataset(out / "embeddings.nc")
    assert emb["embedding"].dims == ("lake", "embedding_dim")
    assert emb["embedding"].shape == (48, 4)
    np.testing.assert_array_equal(emb["lake"], 1000 + np.arange(48))
    given = xr.open_dataset(objects_file)["cls"].values
    np.testing.assert_array_equal(emb["label"], given)
    # augmentation keeps every given label
    kept = given >= 0
    np.testing.assert_array_equal(emb["augmented"].values[kept], given[kept])
    assert emb.attrs["skstc_estimator"] == "MultimodalConstrainedAE"
    params = json.loads(emb.attrs["skstc_params"])
    assert params["spatial_shape"] == [8, 8] and params["conv_channels"] == [4]
    csv = pd.read_csv(out / "labels.csv", comment="#")
    assert list(csv.columns) == ["lake", "label", "augmented", "predicted", "cluster"]
    assert (out / "model.skstc").exists()
    settings = json.loads((out / "model.json").read_text())
    assert settings["map_var"] == "wmap" and settings["classes"] == [0, 1, 2, 3]

    out2 = tmp_path / "apply"
    res = run(["objects", "apply", out / "model.skstc", objects_file, out2])
    assert res.exit_code == 0, res.output
    applied = xr.open_dataset(out2 / "embeddings.nc")
    np.testing.assert_allclose(applied["embedding"], emb["embedding"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(applied["predicted"], emb["predicted"])
    assert list(pd.read_csv(out2 / "labels.csv", comment="#").columns) == [
        "lake", "predicted", "cluster"]


def test_objects_errors(objects_file, tmp_path):
    res = run(["objects", "fit", objects_file, tmp_path / "o"])
    assert res.exit_code == 2 and "'fraction_map' not in the input" in res.output
    assert "wmap, wsize, cls, truth" in res.output
    res = run(["objects", "fit", objects_file, tmp_path / "o", "--map-var", "wmap",
               "--series-var", "wsize", "--label-var", "label"])
    assert res.exit_code == 2 and "--label-var" in res.output
    res = run(["objects", "fit", objects_file, tmp_path / "o", "--map-var", "wsize",
               "--series-var", "wmap", "--label-var", "cls"])
    assert res.exit_code == 2 and "(sample, y, x)" in res.output
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a pickle")
    res = run(["objects", "apply", bad, objects_file, tmp_path / "o"])
    assert res.exit_code == 2 and "not a model written by" in res.output
    from skstc.cli._commands import _save_model

    other = tmp_path / "other.pkl"
    _save_model({"not": "a pipeline"}, other)
    res = run(["objects", "apply", other, objects_file, tmp_path / "o"])
    assert res.exit_code == 2 and "not a model written by" in res.output


def test_out_must_be_a_folder(fields_file, tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    res = run(["regimes", fields_file, target, *TINY_DSC])
    assert res.exit_code == 2 and "is not a folder" in res.output


# ---- real data -----------------------------------------------------------------------------
@pytest.mark.realdata
def test_tiles_on_real_sentinel2(data_file, tmp_path):
    path = data_file("sentinel2_slovenia_ndvi.nc")
    ds = xr.open_dataset(path).isel(time=slice(0, 6))
    small = tmp_path / "s2_small.nc"
    ds.to_netcdf(small)
    out = tmp_path / "out"
    res = run(["tiles", small, out, "--variable", "ndvi", "--valid-var", "is_valid",
               "--truth", "lulc", "--truth-ignore", "0", "-k", "4", "--tile-size", "20",
               "--embedding-dim", "8", "--epochs", "1", "--triplets", "64",
               "--refine-epochs", "1", "--threads", "1"])
    assert res.exit_code == 0, res.output
    labels = xr.open_dataset(out / "labels.nc")
    assert labels["cluster"].shape == (5, 5)
    assert labels.attrs["crs"] == "EPSG:32633"
    assert "Copernicus" in xr.open_dataset(path).attrs["source"]


def test_regimes_ensemble_members_become_samples(tmp_path):
    from skstc.datasets import make_climate_fields

    ds, _ = make_climate_fields(n_times=20, n_regimes=2, n_variables=1, grid_shape=(8, 8),
                                as_xarray=True, random_state=1)
    ens = xr.concat([ds, ds + 0.1], dim="number").assign_coords(number=[0, 1])
    path = tmp_path / "ens.nc"
    ens.to_netcdf(path)
    res = run(["regimes", path, tmp_path / "out", "-k", "2", *TINY_DSC])
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(tmp_path / "out" / "labels.csv", comment="#")
    assert list(csv.columns) == ["time", "regime", "member"] and len(csv) == 40
    assert sorted(csv["member"].unique()) == [0, 1]


def test_regimes_zarr_output(fields_file, tmp_path):
    out = tmp_path / "out"
    res = run(["regimes", fields_file, out, "-k", "2", "--format", "zarr", *TINY_DSC])
    try:
        import zarr  # noqa: F401
    except ImportError:
        assert res.exit_code == 2 and "skstc[zarr]" in res.output
        return
    assert res.exit_code == 0, res.output
    labels = xr.open_zarr(out / "labels.zarr")
    assert labels.attrs["skstc_estimator"] == "DeepSpatiotemporalClustering"
    assert labels["regime"].shape == (40,)
    assert xr.open_zarr(out / "composites.zarr")["var0"].dims == ("regime", "lat", "lon")


def test_integer_list_options_are_checked(fields_file, tmp_path):
    res = run(["regimes", fields_file, tmp_path / "o", "--conv-channels", "4,x"])
    assert res.exit_code == 2 and "comma-separated integers" in res.output
    res = run(["regimes", fields_file, tmp_path / "o", "--conv-channels", "4,0"])
    assert res.exit_code == 2 and "positive integers" in res.output


def test_regimes_area_weighting_changes_the_input_not_the_composites(fields_file, tmp_path):
    res = run(["regimes", fields_file, tmp_path / "w", "-k", "2", "--area-weighting",
               *TINY_DSC])
    assert res.exit_code == 0, res.output
    labels = xr.open_dataset(tmp_path / "w" / "labels.nc")
    assert labels.attrs["area_weighting"] == "sqrt(cos(latitude))"
    comp = xr.open_dataset(tmp_path / "w" / "composites.nc")
    raw = xr.open_dataset(fields_file)["var2"].values
    lab = labels["regime"].values
    r = int(lab[0])
    np.testing.assert_allclose(comp["var2"][r], raw[lab == r].mean(0), rtol=1e-5)
    # the weighting reaches what is clustered: the metrics of the same k-means differ
    res = run(["regimes", fields_file, tmp_path / "u", "-k", "2", *TINY_DSC])
    assert res.exit_code == 0, res.output
    rmse = [pd.read_csv(tmp_path / d / "metrics.csv", comment="#", index_col=0).loc[
        "KMeans (scaled fields)", "cluster_rmse"] for d in ("w", "u")]
    assert not np.isclose(rmse[0], rmse[1])
