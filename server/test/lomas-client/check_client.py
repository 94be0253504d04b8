"""The Python Lomas client (lomas-client 0.5.1), unchanged, against this server's /lomas routes.

Run by server/test/e2e/lomas-client.test.ts with the venv of .ci/python.sh. It signs in through
the real OpenID Connect provider (Dex, password grant, client id lomas_client), then walks through
what a Lomas demo notebook does on the penguins dataset and asserts the values it gets back. It
prints one JSON object of what it saw (the jest test checks it against the server's ledger) and
exits 0, or fails on the first assertion.

Environment: LOMAS_URL (…/lomas), OIDC_DISCOVERY_URL, LOMAS_USER, LOMAS_PASSWORD, and
STRANGER_USER, STRANGER_PASSWORD (a user the provider knows and Lomas does not).
"""

import json
import math
import os
import sys

import polars as pl
from lomas_client import Client
from lomas_core.error_handler import (
    ExternalLibraryException,
    InvalidQueryException,
    UnauthorizedAccessException,
)

SEEN: dict = {}


def expect_raises(exc_type, fn):
    """The call raises exc_type (the client's own exception type); returns its message."""
    try:
        fn()
    except exc_type as e:  # noqa: PERF203
        message = getattr(e, "error_message", str(e))
        return message
    raise AssertionError(f"{fn} did not raise {exc_type.__name__}")


def budget(client):
    initial = client.get_initial_budget()
    spent = client.get_total_spent_budget()
    remaining = client.get_remaining_budget()
    assert math.isclose(
        remaining.remaining_epsilon, initial.initial_epsilon - spent.total_spent_epsilon
    ), (initial, spent, remaining)
    return initial.initial_epsilon, spent.total_spent_epsilon, remaining.remaining_epsilon


def client_for(dataset, user_var, password_var):
    """The client as an analyst's notebook makes it: password grant at the OIDC provider."""
    return Client(
        app_url=os.environ["LOMAS_URL"],
        dataset_name=dataset,
        use_password_flow=True,
        user_name=os.environ[user_var],
        user_password=os.environ[password_var],
        oidc_discovery_url=os.environ["OIDC_DISCOVERY_URL"],
    )


def main():
    client = client_for("penguins", "LOMAS_USER", "LOMAS_PASSWORD")

    # Metadata, in CSVW-EO form after the client's own TableMetadata model.
    metadata = client.get_dataset_metadata()
    columns = {c["name"]: c for c in metadata["tableSchema"]["columns"]}
    assert set(columns) == {
        "species",
        "island",
        "bill_length_mm",
        "bill_depth_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
    }, columns
    assert columns["bill_length_mm"]["datatype"] == "double"
    assert client.get_column_bounds("bill_length_mm") == (30, 60), columns["bill_length_mm"]
    assert columns["species"]["keyValues"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert metadata["maxContributions"] == 1
    SEEN["bill_length_bounds"] = list(client.get_column_bounds("bill_length_mm"))

    # Dummy data: the requested size, the metadata's columns, values within the bounds.
    dummy = client.get_dummy_dataset(nb_rows=200, seed=7)
    assert dummy.shape == (200, 7), dummy.shape
    assert list(dummy.columns) == list(columns), list(dummy.columns)
    lengths = dummy["bill_length_mm"].dropna()
    assert lengths.between(30.0, 60.0).all()
    assert set(dummy["species"].dropna()) <= {"Adelie", "Chinstrap", "Gentoo"}
    again = client.get_dummy_dataset(nb_rows=200, seed=7)
    assert dummy.equals(again), "the same seed gives the same dummy rows"
    SEEN["dummy_shape"] = list(dummy.shape)
    SEEN["dummy_dtypes"] = {k: str(v) for k, v in dummy.dtypes.items()}

    initial, spent0, _ = budget(client)
    SEEN["initial_epsilon"] = initial
    SEEN["spent_before"] = spent0

    count_sql = "SELECT COUNT(*) AS nb_penguins FROM df"
    avg_sql = "SELECT AVG(bill_length_mm) AS avg_bill_length_mm FROM df"
    grouped_sql = (
        "SELECT species, AVG(bill_length_mm) AS avg_bill_length_mm, "
        "STD(bill_length_mm) AS std_bill_length_mm FROM df GROUP BY species"
    )

    # Cost estimates: free, and this engine's cost of a query is the ε it is given.
    cost = client.smartnoise_sql.cost(query=count_sql, epsilon=0.5, delta=1e-5)
    assert (cost.epsilon, cost.delta) == (0.5, 0.0), cost
    cost_grouped = client.smartnoise_sql.cost(query=grouped_sql, epsilon=1.0, delta=1e-5)
    assert (cost_grouped.epsilon, cost_grouped.delta) == (1.0, 0.0), cost_grouped
    assert budget(client)[1] == spent0, "estimates are free"

    # A dummy query: the DataFrame of the real query's shape, nothing spent.
    dummy_res = client.smartnoise_sql.query(
        query=grouped_sql, epsilon=1.0, delta=1e-5, dummy=True, nb_rows=300, seed=1
    )
    assert dummy_res.result.type == "smartnoise_sql"
    assert list(dummy_res.result.df.columns) == [
        "species",
        "avg_bill_length_mm",
        "std_bill_length_mm",
    ]
    assert sorted(dummy_res.result.df["species"]) == ["Adelie", "Chinstrap", "Gentoo"]
    assert budget(client)[1] == spent0, "dummy queries are free"

    # Real queries: charged as estimated, answers within the public bounds.
    count = client.smartnoise_sql.query(query=count_sql, epsilon=0.5, delta=1e-5)
    assert count.requested_by == os.environ["LOMAS_USER"]
    assert (count.epsilon, count.delta) == (0.5, 0.0)
    n = int(count.result.df["nb_penguins"][0])
    # 344 penguins; Laplace noise of scale 2 at ε = 0.5 stays within ±40 but with chance e^-20.
    assert 304 <= n <= 384, n
    SEEN["count"] = n

    avg = client.smartnoise_sql.query(query=avg_sql, epsilon=1.0, delta=1e-5)
    mean = float(avg.result.df["avg_bill_length_mm"][0])
    # The true mean is 43.9 mm over 342 values in [30, 60]: at ε = 1 the noise moves it by well
    # under a millimetre; ±10 mm would need noise about 100 times its scale (chance far below 1e-9).
    assert 33.9 <= mean <= 53.9, mean
    SEEN["avg_bill_length_mm"] = mean

    # ε = 8 over two statistics per group: the mean's noise has a scale near 0.5 mm for the
    # smallest group (68 Chinstraps), so ±10 mm is about 20 scales away (chance below 1e-8).
    grouped = client.smartnoise_sql.query(query=grouped_sql, epsilon=8.0, delta=1e-5)
    df = grouped.result.df
    assert sorted(df["species"]) == ["Adelie", "Chinstrap", "Gentoo"]
    # True means 38.8 (Adelie), 48.8 (Chinstrap), 47.5 (Gentoo).
    assert df["avg_bill_length_mm"].between(28.8, 58.8).all(), df
    assert (df["std_bill_length_mm"] >= 0).all() and (df["std_bill_length_mm"] <= 15.0).all(), df
    SEEN["grouped"] = df.to_dict(orient="records")

    _, spent1, remaining1 = budget(client)
    assert math.isclose(spent1 - spent0, 9.5), (spent0, spent1)
    SEEN["spent_after_queries"] = spent1
    SEEN["remaining_after_queries"] = remaining1

    # Refusals, in the client's own exception types, and none of them charges anything.
    lf = client.get_dummy_dataset(lazy=True).select(pl.len())
    SEEN["opendp_refusal"] = expect_raises(
        InvalidQueryException, lambda: client.opendp.query(opendp_pipeline=lf, epsilon=1.0)
    )
    SEEN["opendp_cost_refusal"] = expect_raises(
        InvalidQueryException, lambda: client.opendp.cost(opendp_pipeline=lf, epsilon=1.0)
    )
    SEEN["join_refusal"] = expect_raises(
        ExternalLibraryException,
        lambda: client.smartnoise_sql.query(
            query="SELECT COUNT(*) AS n FROM df JOIN df AS b ON df.species = b.species",
            epsilon=1.0,
            delta=1e-5,
        ),
    )
    SEEN["mechanism_refusal"] = expect_raises(
        InvalidQueryException,
        lambda: client.smartnoise_sql.query(
            query=count_sql, epsilon=1.0, delta=1e-5, mechanisms={"median": "laplace"}
        ),
    )
    SEEN["postprocess_refusal"] = expect_raises(
        InvalidQueryException,
        lambda: client.smartnoise_sql.query(
            query=count_sql, epsilon=1.0, delta=1e-5, postprocess=False
        ),
    )
    SEEN["budget_refusal"] = expect_raises(
        InvalidQueryException,
        lambda: client.smartnoise_sql.query(query=count_sql, epsilon=1000.0, delta=1e-5),
    )
    assert budget(client)[1] == spent1, "refusals charge nothing"

    # A dataset without a grant: the client's UnauthorizedAccessException.
    other = client_for("cars", "LOMAS_USER", "LOMAS_PASSWORD")
    SEEN["no_grant_refusal"] = expect_raises(UnauthorizedAccessException, other.get_initial_budget)

    # A user the provider signs in but Lomas does not know: the client's 403 type too.
    stranger = client_for("penguins", "STRANGER_USER", "STRANGER_PASSWORD")
    SEEN["stranger_refusal"] = expect_raises(
        UnauthorizedAccessException, stranger.get_dataset_metadata
    )

    # Previous queries: the three charged SQL queries, oldest first, with their answers.
    previous = client.get_previous_queries()
    assert [q["client_input"]["query_str"] for q in previous] == [count_sql, avg_sql, grouped_sql]
    assert [q["dp_library"] for q in previous] == ["smartnoise_sql"] * 3
    assert previous[0]["response"]["result"]["df"]["data"] == [[n]]
    assert [q["response"]["epsilon"] for q in previous] == [0.5, 1.0, 8.0]
    SEEN["previous_queries"] = len(previous)


if __name__ == "__main__":
    main()
    print(json.dumps(SEEN))
    sys.stdout.flush()
    # The client's exporters and sessions can hold a normal exit; the results are out.
    os._exit(0)
