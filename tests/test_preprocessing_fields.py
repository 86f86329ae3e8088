"""skstc.preprocessing fields family: FieldNaNFiller, FieldMinMaxScaler."""

import warnings

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from skstc.datasets import make_climate_fields
from skstc.preprocessing import FieldMinMaxScaler, FieldNaNFiller


# ---- preprocessing -------------------------------------------------------------------------
def _fields_with_nan():
    X = np.zeros((3, 2, 2, 2))
    X[:, 0] = [[[1.0, 2.0], [3.0, np.nan]], [[5.0, 6.0], [7.0, 8.0]], [[1.0, 1.0], [1.0, 1.0]]]
    X[:, 1] = 100.0
    X[0, 1, 0, 0] = np.nan
    return X


def test_nan_filler_overall_and_variable_mean():
    X = _fields_with_nan()
    finite = X[np.isfinite(X)]
    overall = FieldNaNFiller(strategy="overall_mean").fit_transform(X)
    assert overall[0, 0, 1, 1] == pytest.approx(finite.mean())
    assert overall[0, 1, 0, 0] == pytest.approx(finite.mean())
    per_var = FieldNaNFiller(strategy="variable_mean").fit_transform(X)
    assert per_var[0, 0, 1, 1] == pytest.approx(np.mean([1, 2, 3, 5, 6, 7, 8, 1, 1, 1, 1]))
    assert per_var[0, 1, 0, 0] == pytest.approx(100.0)
    const = FieldNaNFiller(strategy="constant", fill_value=-1).fit_transform(X)
    assert const[0, 0, 1, 1] == -1 and not np.isnan(const).any()


def test_nan_filler_mask_channel_and_2d():
    X = _fields_with_nan()
    X[:, 1, 0, 0] = 100.0  # only variable 0 has a NaN now
    out = FieldNaNFiller(add_mask=True).fit_transform(X)
    assert out.shape == (3, 3, 2, 2)
    np.testing.assert_array_equal(out[:, 2], np.isfinite(X[:, 0]).astype(float))
    flt = FieldNaNFiller(add_mask=True, input_shape=(2, 2, 2)).fit(X.reshape(3, -1))
    assert flt.output_shape_ == (3, 2, 2)
    np.testing.assert_allclose(flt.transform(X.reshape(3, -1)), out.reshape(3, -1))


def test_all_nan_variable_named_in_error():
    X = _fields_with_nan()
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match="'sst'.*NaN everywhere"):
        FieldNaNFiller(variable_names=["t2m", "sst"]).fit(X)
    with pytest.raises(ValueError, match="index 1.*NaN everywhere"):
        FieldMinMaxScaler().fit(X)
    ds, _ = make_climate_fields(n_times=5, grid_shape=(4, 4), as_xarray=True, random_state=0)
    ds["var2"][:] = np.nan
    with pytest.raises(ValueError, match="'var2'"):
        FieldNaNFiller().fit(ds)


def test_minmax_per_variable_and_per_cell():
    X = _fields_with_nan()
    out = FieldMinMaxScaler().fit_transform(X)
    # variable 0 spans [1, 8]; NaN kept
    assert out[1, 0, 0, 0] == pytest.approx((5 - 1) / 7)
    assert np.isnan(out[0, 0, 1, 1])
    # constant variable (100) maps to the lower bound, not NaN/inf
    assert out[1, 1, 0, 0] == 0.0
    cell = FieldMinMaxScaler(per="cell", feature_range=(-1, 1)).fit_transform(X)
    # cell (0, 0, 1) over time: 2, 6, 1 -> range 5
    np.testing.assert_allclose(cell[:, 0, 0, 1], [-1 + 2 * 1 / 5, 1.0, -1.0])
    sc = FieldMinMaxScaler(input_shape=(2, 2, 2)).fit(X.reshape(3, -1))
    back = sc.inverse_transform(sc.transform(X.reshape(3, -1)))
    np.testing.assert_allclose(back, X.reshape(3, -1))


def test_preprocessing_pipeline_and_bad_input():
    X = _fields_with_nan()
    pipe = make_pipeline(FieldNaNFiller(input_shape=(2, 2, 2)),
                         FieldMinMaxScaler(input_shape=(2, 2, 2)))
    out = pipe.fit_transform(X.reshape(3, -1))
    assert out.shape == (3, 8) and np.isfinite(out).all()
    assert out.min() == 0.0 and out.max() == 1.0
    with pytest.raises(ValueError, match="input_shape must be"):
        FieldNaNFiller(input_shape=(8,)).fit(X.reshape(3, -1))
    with pytest.raises(ValueError, match="strategy"):
        FieldNaNFiller(strategy="median").fit(X)
    with pytest.raises(InvalidParameterError, match="'per' parameter"):
        FieldMinMaxScaler(per="time").fit(X)
    with pytest.raises(ValueError, match="sample shape"):
        FieldMinMaxScaler().fit(X).transform(X[:, :1])


def test_2d_input_without_input_shape_is_one_variable_per_column():
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.RandomState(0)
    X = rng.randn(20, 5) * [1, 10, 100, 0, 3]
    X[rng.rand(20, 5) < 0.2] = np.nan
    np.testing.assert_allclose(FieldMinMaxScaler().fit_transform(X),
                               MinMaxScaler().fit_transform(X))
    np.testing.assert_allclose(FieldNaNFiller().fit_transform(X),
                               SimpleImputer().fit_transform(X))
    filler = FieldNaNFiller(add_mask=True).fit(X)
    assert filler.output_shape_ == (10, 1, 1) and filler.n_features_in_ == 5
    # float32 is kept (long records of fields), the rest becomes float64
    X32 = X.astype(np.float32)
    assert FieldMinMaxScaler().fit_transform(X32).dtype == np.float32
    assert FieldNaNFiller().fit_transform(X32.reshape(20, 5, 1, 1)).dtype == np.float32
    assert FieldMinMaxScaler().fit_transform(np.nan_to_num(X).astype(int)).dtype == np.float64
    with pytest.raises(ValueError, match="5 features"):
        FieldMinMaxScaler().fit(X).transform(X[:, :4])


@pytest.mark.parametrize("cls", [FieldMinMaxScaler, FieldNaNFiller])
def test_refit_on_fields_forgets_the_table_column_names(cls):
    pd = pytest.importorskip("pandas")
    fields = np.random.RandomState(1).rand(5, 2, 3, 3)
    flat = fields.reshape(5, -1)
    table = pd.DataFrame(flat, columns=[f"c{i}" for i in range(18)])
    est = cls(input_shape=(2, 3, 3))
    assert list(est.fit(table).feature_names_in_) == list(table.columns)
    est.fit(fields)
    assert not hasattr(est, "feature_names_in_") and est.n_features_in_ == 18
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no "feature names" warning from a stale fit
        assert est.transform(flat).shape == (5, 18)

