"""The input-contract layer shared by every estimator and transformer."""


def _forget_input_features(est):
    """Drop ``n_features_in_``/``feature_names_in_`` of an earlier 2-D fit (image input now).

    The 2-D (table) path sets them through ``validate_data``; a refit on n-D input must not
    keep the previous table's size and column names.
    """
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(est, name):
            delattr(est, name)
