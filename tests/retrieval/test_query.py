import re

import pytest

from retrieval.query import QueryError, check_query


@pytest.mark.parametrize("query, fragment", [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * 4001, "4001 characters"),
    ("chest pain\x00", "control characters"), ("bp\x1b[31m", "U+001B"),
])
def test_unusable_questions_raise_a_clear_error(query, fragment):
    with pytest.raises(QueryError, match=re.escape(fragment)):
        check_query(query)


def test_usable_questions_are_stripped():
    assert check_query("  amox dose CAP adult?\n") == "amox dose CAP adult?"
    assert check_query("高血压怎么确诊") == "高血压怎么确诊"
