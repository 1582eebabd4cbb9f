"""One design-matrix builder for every adapter, so every platform sees the same numbers.

R conventions, because R is where users check these statistics: rows with a missing target or feature are
dropped (and counted), text columns get treatment coding with the first sorted level as baseline and names
made of column + level (`DivisionW`, `LeagueN`, `StudentYes`). The intercept is added by each fit, never
stored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlbench.errors import MlbenchError, did_you_mean, listing


@dataclass
class Design:
    frame: pd.DataFrame  # numeric features in order, then the target as the last column
    target: str
    features: list[str]
    n_input_rows: int
    n_dropped: int  # rows dropped for a missing value
    factors: dict[str, list[str]] = field(default_factory=dict)  # text column -> its dummy columns
    notes: list[str] = field(default_factory=list)
    family: str = "gaussian"  # of the statistics steps (mlbench.family): the target is coded for it

    @property
    def X(self) -> np.ndarray:  # noqa: N802 - the statistician's name
        return self.frame[self.features].to_numpy(dtype=float)

    @property
    def y(self) -> np.ndarray:
        return self.frame[self.target].to_numpy(dtype=float)

    @property
    def terms(self) -> dict[str, list[str]]:
        """The model's terms in order, as R's formula has them: a numeric column is a term of one column, a
        text column (a factor) one term of all its dummies. VIF (car's GVIF) and elimination by p-value (drop1)
        treat a factor as one term."""
        by_dummy = {d: column for column, dummies in self.factors.items() for d in dummies}
        out: dict[str, list[str]] = {}
        for feature in self.features:
            out.setdefault(by_dummy.get(feature, feature), []).append(feature)
        return out


def _is_text(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _check_columns(df: pd.DataFrame, target: str, features: list[str] | None) -> list[str]:
    duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if duplicated:
        raise MlbenchError(f"duplicate column names in the data: {', '.join(duplicated)}")
    if target not in df.columns:
        columns = [str(c) for c in df.columns]
        raise MlbenchError(f"target column {target!r} is not in the data{did_you_mean(target, columns)} "
                           f"(columns: {listing(columns)})")
    wanted = [c for c in df.columns if c != target] if features is None else list(features)
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        columns = [str(c) for c in df.columns]
        raise MlbenchError(f"feature column(s) not in the data: {', '.join(map(str, missing))}"
                           f"{did_you_mean(str(missing[0]), columns)}")
    if not wanted:
        raise MlbenchError("the data has no feature columns besides the target")
    return [str(c) for c in wanted]


def _dummies(column: str, values: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Treatment coding, baseline = first sorted level, names column+level as R's model.matrix does.

    Levels sort as written (Credit's " Male" sorts before "Female", as in R, giving `GenderFemale`); the name
    drops surrounding blanks. A logical column (R writes TRUE/FALSE) is coded as R codes it: `xTRUE`.
    """
    logical = values.map(lambda v: isinstance(v, bool | np.bool_)).all()  # object dtype when the column had NA
    text = values.map(lambda v: "TRUE" if v else "FALSE") if logical else values.astype(str)
    levels = sorted(text.unique())
    names = [f"{column}{level.strip()}" for level in levels[1:]]
    coded = pd.DataFrame(
        {name: (text == level).astype(float) for name, level in zip(names, levels[1:], strict=True)},
        index=values.index,
    )
    return coded, names


def build_design(df: pd.DataFrame, target: str, features: list[str] | None = None,
                 family: str | None = "gaussian") -> Design:
    """Validate `df` and return the numeric, dummy-coded, complete-case design every adapter uses. `family` None:
    decided from the target (a two-level text target is binomial, coded 0/1 as R does; mlbench.family)."""
    from mlbench.family import code_target

    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    wanted = _check_columns(df, target, features)
    if len(df) == 0:
        raise MlbenchError("the data has a header but no rows")
    if "Intercept" in wanted:  # mlbench's name of the intercept term in every coefficient table
        raise MlbenchError("a feature column is named 'Intercept', the name of the model's intercept term: "
                           "rename the column")
    for column in [target, *wanted]:
        if df[column].isna().all():
            raise MlbenchError(f"column {column!r} has no values (all missing)")
    chosen, df[target], family_note = code_target(df[target], target, family)

    n_input = len(df)
    complete = df[[target, *wanted]].dropna()
    n_dropped = n_input - len(complete)
    if complete.empty:
        raise MlbenchError("no complete rows remain after dropping rows with missing values")

    parts: list[pd.DataFrame] = []
    names: list[str] = []
    factors: dict[str, list[str]] = {}
    notes: list[str] = [family_note] if family_note else []
    for column in wanted:
        values = complete[column]
        if _is_text(values):
            coded, dummy_names = _dummies(column, values)
            if not dummy_names:
                notes.append(f"column {column!r} has a single level and was left out")
                continue
            factors[column] = dummy_names
            parts.append(coded)
            names.extend(dummy_names)
        else:
            parts.append(values.astype(float).to_frame(column))
            names.append(column)
    if len(set(names)) != len(names):
        clash = sorted({n for n in names if names.count(n) > 1})
        raise MlbenchError(f"dummy coding produced duplicate column names: {', '.join(clash)}")
    frame = pd.concat([*parts, complete[target].astype(float).to_frame(target)], axis=1)
    if not np.isfinite(frame.to_numpy(dtype=float)).all():
        bad = [c for c in frame.columns if not np.isfinite(frame[c].to_numpy(dtype=float)).all()]
        raise MlbenchError(f"infinite values in column(s): {', '.join(bad)}")
    if n_dropped:
        notes.append(f"{n_dropped} of {n_input} rows dropped for missing values")
    return Design(
        frame=frame.reset_index(drop=True),
        target=target,
        features=names,
        n_input_rows=n_input,
        n_dropped=n_dropped,
        factors=factors,
        notes=notes,
        family=chosen,
    )
