import nntui


def test_version():
    assert nntui.__version__.count(".") == 2
