"""Pretrained classifiers: real ImageNet weights where the shared cache has them."""

import socket

import numpy as np
import pytest

from fcn_tutorial import models, samples


def test_mobilenet_recognises_chelsea(keras_home):
    classifier = models.load_imagenet_classifier(alpha=0.25, input_size=128)
    top = models.classify(classifier, samples.load_sample("chelsea", size=128), top=5)
    assert len(top) == 5 and top[0][1] >= top[-1][1]
    assert top[0][0] in {"tabby", "tiger_cat", "Egyptian_cat", "lynx"}, top
    assert sum(p for name, p in top if name in {"tabby", "tiger_cat", "Egyptian_cat"}) > 0.5


def test_missing_weights_without_network_name_the_fixes(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    # 160 px weights are in no cache here, so Keras must try to download them.
    with pytest.raises(models.WeightsUnavailableError, match="weights=None") as caught:
        models.load_imagenet_classifier(alpha=0.25, input_size=160)
    assert "MobileNet(alpha=0.25, input_size=160)" in str(caught.value)
    assert "models" in str(caught.value)


def test_classify_rejects_a_wrong_image_size(keras_home):
    classifier = models.load_imagenet_classifier(alpha=0.25, input_size=128)
    with pytest.raises(ValueError, match="resize it first"):
        models.classify(classifier, np.zeros((100, 100, 3), np.uint8))
