"""Keras's dataset utilities (``keras.utils.image_dataset_from_directory``,
``text_dataset_from_directory``, ``timeseries_dataset_from_array``) giving ferroflow
datasets. The files are found, labelled, shuffled and split by Keras's own
``dataset_utils``, so the same arguments select the same files in the same order; reading,
decoding and resizing run in ferroflow's pipeline."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import image, io, strings
from .._ops import transpose
from ..data import AUTOTUNE, Dataset

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)


def _labels(labels: Any, label_mode: str | None, num_classes: int) -> np.ndarray | None:
    """Labels as Keras's ``labels_to_dataset`` encodes them."""
    if not label_mode:
        return None
    values = np.asarray(labels)
    if label_mode == "binary":
        return values.astype(np.float32)[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype=np.float32)[values.astype(np.int64)]
    return values


def _check_labels(labels: Any, label_mode: Any) -> None:
    if not isinstance(labels, (list, tuple)) and labels not in ("inferred", None):
        raise ValueError(
            "`labels` argument should be a list/tuple of integer labels, of length equal to "
            f'the number of files in the target directory, "inferred" or None. '
            f"Received: labels={labels}"
        )
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", '
            f"or None. Received: label_mode={label_mode}"
        )


def _split(
    paths: list[str], labels: Any, validation_split: Any, subset: Any, directory: Any, what: str
) -> list[tuple[list[str], Any]]:
    """The (paths, labels) of each dataset asked for: one, or training and validation."""
    from keras.src.utils import dataset_utils

    subsets = ["training", "validation"] if subset == "both" else [subset]
    out = []
    for name in subsets:
        chosen, chosen_labels = dataset_utils.get_training_or_validation_split(
            paths, labels, validation_split, name
        )
        if not chosen:
            kind = f"{name} " if subset == "both" else ""
            raise ValueError(f"No {kind}{what} found in directory {directory}.")
        out.append((chosen, chosen_labels))
    return out


def _finish(
    made: list[Dataset], paths: list[list[str]], class_names: list[str], batch_size: Any
) -> Any:
    """Batches and prefetches each dataset and records its class names and file paths."""
    done = []
    for dataset, files in zip(made, paths):
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        dataset = dataset.prefetch(AUTOTUNE)
        dataset.class_names = class_names  # type: ignore[attr-defined]
        dataset.file_paths = files  # type: ignore[attr-defined]
        done.append(dataset)
    return done if len(done) > 1 else done[0]


def _smart_resize(img: Any, size: tuple[int, int], interpolation: str) -> Any:
    """Keras's ``smart_resize``: the largest centred crop of the target's aspect ratio,
    resized to ``size``."""
    height, width = img.shape[0], img.shape[1]
    crop_height = min(height, int(float(width * size[0]) / size[1]))
    crop_width = min(width, int(float(height * size[1]) / size[0]))
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    cropped = img[top : top + crop_height, left : left + crop_width]
    return image.resize(cropped, size, method=interpolation)


def _image_loader(
    size: tuple[int, int],
    channels: int,
    interpolation: str,
    channels_first: bool,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
) -> Any:
    def load(path: Any) -> Any:
        img = image.decode_image(io.read_file(path), channels=channels, expand_animations=False)
        if crop_to_aspect_ratio:
            img = _smart_resize(img, size, interpolation)
        elif pad_to_aspect_ratio:
            img = image.resize_with_pad(img, size[0], size[1], method=interpolation)
        else:
            img = image.resize(img, size, method=interpolation)
        return transpose(img, (2, 0, 1)) if channels_first else img

    return load


def _paths_and_labels(
    paths: list[str], labels: np.ndarray | None, load: Any, shuffle: bool, buffer: int, seed: Any
) -> Dataset:
    ds = Dataset.from_tensor_slices(paths if labels is None else (paths, labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=buffer, seed=seed)
    if labels is None:
        return ds.map(load, num_parallel_calls=AUTOTUNE)
    return ds.map(lambda x, y: (load(x), y), num_parallel_calls=AUTOTUNE)


class _Listing:
    """What Keras's directory utilities share: the arguments that choose and label files,
    and turning the files into one dataset (or training and validation datasets)."""

    def __init__(
        self,
        directory: Any,
        labels: Any,
        label_mode: Any,
        class_names: Any,
        follow_links: bool,
        verbose: bool,
    ) -> None:
        _check_labels(labels, label_mode)
        if labels is None or label_mode is None:
            labels, label_mode = None, None
        self.directory, self.labels, self.label_mode = directory, labels, label_mode
        self.class_names, self.follow_links, self.verbose = class_names, follow_links, verbose

    def datasets(
        self,
        formats: tuple[str, ...],
        what: str,
        load: Any,
        batch_size: Any,
        shuffle: bool,
        seed: Any,
        validation_split: Any,
        subset: Any,
        format: str,  # noqa: A002 - Keras's argument name
    ) -> Any:
        from keras.src.utils import dataset_utils

        if format != "tf":
            raise ValueError(
                f'ferroflow builds its own datasets: `format` must be "tf", not {format!r}'
            )
        dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
        if seed is None:
            seed = np.random.randint(1e6)
        paths, found, class_names = dataset_utils.index_directory(
            self.directory,
            self.labels,
            formats=formats,
            class_names=self.class_names,
            shuffle=shuffle,
            seed=seed,
            follow_links=self.follow_links,
            verbose=self.verbose,
        )
        if self.label_mode == "binary" and len(class_names) != 2:
            raise ValueError(
                'When passing `label_mode="binary"`, there must be exactly 2 '
                f"class_names. Received: class_names={class_names}"
            )
        buffer = batch_size * 8 if batch_size is not None else 1024
        parts = _split(paths, found, validation_split, subset, self.directory, what)
        made = [
            _paths_and_labels(
                chosen,
                _labels(chosen_labels, self.label_mode, len(class_names or [])),
                load,
                shuffle and i == 0,
                buffer,
                seed,
            )
            for i, (chosen, chosen_labels) in enumerate(parts)
        ]
        return _finish(made, [p for p, _ in parts], class_names, batch_size)


def image_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: Any = "int",
    class_names: Any = None,
    color_mode: str = "rgb",
    batch_size: Any = 32,
    image_size: Any = (256, 256),
    shuffle: bool = True,
    seed: Any = None,
    validation_split: Any = None,
    subset: Any = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: Any = None,
    format: str = "tf",  # noqa: A002 - Keras's argument name
    verbose: bool = True,
) -> Any:
    """A dataset of ``(image, label)`` batches from a directory of one subdirectory per
    class (``keras.utils.image_dataset_from_directory``), as a ferroflow ``Dataset`` with
    ``class_names`` and ``file_paths``. Images are float32, ``image_size``, with
    ``color_mode``'s channels; ``subset="both"`` gives the training and validation datasets.
    """
    from keras.src.backend.config import standardize_data_format

    if color_mode not in _CHANNELS:
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
            f"Received: interpolation={interpolation}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`."
        )
    load = _image_loader(
        (int(image_size[0]), int(image_size[1])),
        _CHANNELS[color_mode],
        interpolation,
        standardize_data_format(data_format) == "channels_first",
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )
    listing = _Listing(directory, labels, label_mode, class_names, follow_links, verbose)
    return listing.datasets(
        IMAGE_FORMATS, "images", load, batch_size, shuffle, seed, validation_split, subset, format
    )


def text_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: Any = "int",
    class_names: Any = None,
    batch_size: Any = 32,
    max_length: Any = None,
    shuffle: bool = True,
    seed: Any = None,
    validation_split: Any = None,
    subset: Any = None,
    follow_links: bool = False,
    format: str = "tf",  # noqa: A002 - Keras's argument name
    verbose: bool = True,
) -> Any:
    """A dataset of ``(text, label)`` batches from a directory of ``.txt`` files, one
    subdirectory per class (``keras.utils.text_dataset_from_directory``); texts are strings,
    cut to ``max_length`` bytes when given."""

    def load(path: Any) -> Any:
        text = io.read_file(path)
        return strings.substr(text, 0, max_length) if max_length is not None else text

    listing = _Listing(directory, labels, label_mode, class_names, follow_links, verbose)
    return listing.datasets(
        (".txt",), "text files", load, batch_size, shuffle, seed, validation_split, subset, format
    )


def _check_window(
    n: int, start_index: Any, end_index: Any, sampling_rate: int, sequence_stride: int
) -> None:
    if start_index and not 0 <= start_index < n:
        raise ValueError(
            "`start_index` must be 0 or greater and lower than the length of the data. "
            f"Received: start_index={start_index}, for data of length {n}"
        )
    if end_index and not (start_index or 0) < end_index < n:
        raise ValueError(
            "`end_index` must be higher than `start_index` and 0, and lower than the length "
            f"of the data. Received: start_index={start_index}, end_index={end_index}, "
            f"for data of length {n}"
        )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if not 0 < value < n:
            raise ValueError(
                f"`{name}` must be higher than 0 and lower than the length of the data. "
                f"Received: {name}={value}, for data of length {n}"
            )


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: Any = 128,
    shuffle: bool = False,
    seed: Any = None,
    start_index: Any = None,
    end_index: Any = None,
) -> Dataset:
    """Batches of sliding windows over ``data`` (``keras.utils.timeseries_dataset_from_array``):
    window ``i`` holds ``sequence_length`` rows, ``sampling_rate`` apart, starting
    ``sequence_stride * i`` rows after ``start_index``; with ``targets``, the elements are
    ``(window, targets[start])``."""
    values = np.asarray(data)
    _check_window(len(values), start_index, end_index, sampling_rate, sequence_stride)
    start_index = start_index or 0
    end_index = len(values) if end_index is None else end_index
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    index_dtype = np.int32 if count < 2**31 - 1 else np.int64
    starts = np.arange(0, max(count, 0), sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    rows = values[start_index:end_index]
    span = sequence_length * sampling_rate
    labels = None if targets is None else np.asarray(targets)[start_index:end_index]

    def window(start: Any) -> Any:
        steps = rows[start : start + span : sampling_rate]
        return steps if labels is None else (steps, labels[start])

    ds = Dataset.from_tensor_slices(starts).map(window).prefetch(AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size is not None else 1024, seed=seed)
    return ds.batch(batch_size) if batch_size is not None else ds
