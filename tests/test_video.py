"""Video in and out (fcn_tutorial.video), the drive MP4 (fcn_tutorial.drive), flip averaging."""

import re

import keras
import numpy as np
import pytest

from fcn_tutorial import drive, training, video
from fcn_tutorial.cli import main
from fcn_tutorial.datasets import synthetic_drive
from fcn_tutorial.models import build_fcn

SIZE = (64, 96)  # (height, width) the tiny model labels frames at


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "tiny.keras"
    build_fcn(11, backbone="mobilenet", alpha=0.25, weights=None).save(path)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """Six frames of the synthetic drive at 72x112 (not the model's size), 5 frames/s."""
    frames, _ = synthetic_drive(6, 72, 112, seed=3)
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    with video.VideoWriter(path, (112, 72), fps=5, quality=18) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def test_a_written_video_reads_back_as_h264_with_its_frames(clip):
    probe = video.probe_video(clip)
    assert (probe["codec"], probe["frames"], probe["size"], probe["fps"]) == (
        "h264",
        6,
        (112, 72),
        5.0,
    )


def test_predict_labels_a_video_as_it_labels_the_same_decoded_frames(
    model_path, clip, tmp_path, capsys
):
    out = tmp_path / "labelled.mp4"
    code = main(
        ["predict", "--model", str(model_path), "--input", str(clip), "--output", str(out),
         "--video-size", "64x96", "--overlay"]
    )  # fmt: skip
    assert code == 0
    assert re.search(r"-> .*labelled\.mp4: 6 frames, \d+\.\d ms/frame$", capsys.readouterr().out)
    probe = video.probe_video(out)
    assert (probe["codec"], probe["frames"], probe["size"], probe["fps"]) == (
        "h264",
        6,
        (112, 72),
        5.0,
    )
    # The labels label_video draws are predict_masks' on the decoded frames, resized.
    model = training.load_model(model_path)
    _, frames = video.read_video(clip)
    decoded = list(frames)
    streamed = [labels for _, labels in video.label_frames(model, iter(decoded), SIZE)]
    from PIL import Image

    for frame, labels in zip(decoded, streamed, strict=True):
        small = np.asarray(Image.fromarray(frame).resize((96, 64), Image.Resampling.BILINEAR))
        expected = training.predict_masks(model, small)
        back = np.asarray(Image.fromarray(expected).resize((112, 72), Image.Resampling.NEAREST))
        np.testing.assert_array_equal(labels, back)
        assert labels.shape == frame.shape[:2]


def test_bad_videos_get_one_line(model_path, tmp_path, capsys):
    import imageio_ffmpeg

    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video")
    empty = tmp_path / "empty.mp4"  # ffmpeg closed before any frame: zero frames
    writer = imageio_ffmpeg.write_frames(str(empty), (64, 48), fps=4, ffmpeg_log_level="quiet")
    writer.send(None)
    writer.close()
    assert empty.is_file()
    for source in (tmp_path / "missing.mp4", broken, empty):
        code = main(["predict", "--model", str(model_path), "--input", str(source),
                     "--output", str(tmp_path / "out.mp4")])  # fmt: skip
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and str(source) in err, err
    assert not (tmp_path / "out.mp4").exists()


def test_flip_averaging_is_the_mean_of_an_image_and_its_mirror(model_path):
    model = training.load_model(model_path)
    image = synthetic_drive(1, 64, 96, seed=1)[0][0]
    logits = keras.ops.convert_to_numpy(model(image[None].astype("float32")))[0]
    mirrored = keras.ops.convert_to_numpy(model(image[None, :, ::-1].astype("float32")))[0]
    expected = np.argmax((logits + mirrored[:, ::-1]) / 2, axis=-1)
    np.testing.assert_array_equal(training.predict_masks(model, image, flip=True), expected)
    plain = training.predict_masks(model, image, flip=False)
    np.testing.assert_array_equal(plain, np.argmax(logits, axis=-1))


def test_a_small_drive_is_an_h264_mp4_with_a_preview(model_path, tmp_path, capsys):
    frames, masks = synthetic_drive(5, *SIZE, seed=2)
    folder = tmp_path / "street"
    (tmp_path / "streetannot").mkdir()
    folder.mkdir()
    from PIL import Image

    for k, (frame, mask) in enumerate(zip(frames, masks, strict=True)):
        Image.fromarray(frame).save(folder / f"street_{k:03d}.png")
        if k != 2:  # one frame without labels: no errors panel, no mean IU
            Image.fromarray(mask).save(tmp_path / "streetannot" / f"street_{k:03d}.png")
    out = tmp_path / "drive.mp4"
    preview = tmp_path / "drive.webp"
    code = main(["drive", "--model", str(model_path), "--sequence", str(folder), "--output",
                 str(out), "--preview", str(preview), "--ms-per-frame", "19.4"])  # fmt: skip
    assert code == 0
    probe = video.probe_video(out)
    assert (probe["codec"], probe["frames"], probe["size"]) == ("h264", 5, (1440, 432))
    assert 0 < (tmp_path / "drive.webp").stat().st_size <= drive.PREVIEW_LIMIT
    with Image.open(tmp_path / "drive.webp") as preview:
        assert preview.n_frames == 5 and preview.size == (480, 144)
    assert "5 frames" in capsys.readouterr().out


def test_the_drive_refuses_what_is_not_a_drive(tmp_path):
    with pytest.raises(ValueError, match="Seq05VD, 0001TP, test, or a folder"):
        drive.drive_sources(str(tmp_path / "nowhere"))


def test_camvid_test_drives_come_in_driving_order():
    try:
        pairs = drive.drive_sources("test")
    except FileNotFoundError as error:
        pytest.skip(str(error))  # it says what is missing and how to get it
    stems = [image.stem for image, _ in pairs]
    assert len(stems) == 233 and stems[0] == "Seq05VD_f00000" and stems[171].startswith("0001TP")
    assert stems[:171] == sorted(stems[:171]) and stems[171:] == sorted(stems[171:])
    assert all(mask is not None and mask.parent.name == "testannot" for _, mask in pairs)
