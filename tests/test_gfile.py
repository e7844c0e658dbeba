"""``ff.io.gfile`` and ``ff.io.write_file`` on local paths, with TensorFlow's results and
errors (checked against TensorFlow 2.21's tf.io.gfile on the same operations)."""

import os

import pytest

import ferroflow as ff

gfile = ff.io.gfile


def test_directories(tmp_path):
    root = str(tmp_path)
    gfile.mkdir(gfile.join(root, "a"))
    gfile.mkdir(gfile.join(root, "a"))  # exists already: nothing happens
    with pytest.raises(ff.errors.NotFoundError, match="x/y"):
        gfile.mkdir(gfile.join(root, "x", "y"))
    gfile.makedirs(gfile.join(root, "b", "c"))
    gfile.makedirs(gfile.join(root, "b", "c"))
    assert sorted(gfile.listdir(root)) == ["a", "b"] and sorted(gfile.listdir(root + "/")) == [
        "a",
        "b",
    ]
    assert gfile.isdir(root + "/a") and not gfile.isdir(root + "/nope")
    with pytest.raises(ff.errors.NotFoundError, match="Could not find directory"):
        gfile.listdir(root + "/nope")
    walked = list(gfile.walk(root))
    assert [w[0] for w in walked][0] == root and (root + "/b/c", [], []) in walked
    bottom_up = [w[0] for w in gfile.walk(root, topdown=False)]
    assert bottom_up[-1] == root and bottom_up.index(root + "/b/c") < bottom_up.index(root + "/b")
    assert list(gfile.walk(root + "/nope")) == []
    gfile.rmtree(root + "/b")
    assert not gfile.exists(root + "/b")
    with pytest.raises(ff.errors.NotFoundError):
        gfile.rmtree(root + "/b")


def test_gfile_reads_writes_and_iterates_lines(tmp_path):
    path = str(tmp_path / "f.txt")
    with gfile.GFile(path, "w") as f:
        f.write("line1\n")
        f.write(b"line2\nlast")
    assert gfile.GFile(path).read() == "line1\nline2\nlast"
    assert gfile.GFile(path, "rb").read() == b"line1\nline2\nlast"
    assert list(gfile.GFile(path)) == ["line1\n", "line2\n", "last"]
    assert gfile.GFile(path).readlines() == ["line1\n", "line2\n", "last"]
    f = gfile.GFile(path)
    assert (f.read(3), f.tell()) == ("lin", 3)
    f.seek(1)
    assert f.read(2) == "in" and f.size() == 16 and f.name == path and f.mode == "r"
    f.seek(-4, 2)
    assert f.read() == "last"
    f.close()
    with gfile.GFile(path, "ab") as f:
        f.write(b"\x00")
    assert gfile.GFile(path, "rb").read()[-2:] == b"t\x00"
    with pytest.raises(ff.errors.PermissionDeniedError, match="reading"):
        gfile.GFile(path, "w").read()
    with pytest.raises(ff.errors.InvalidArgumentError, match="mode"):
        gfile.GFile(path, "x")
    missing = gfile.GFile(str(tmp_path / "nope"))  # opened on first use, as in TensorFlow
    with pytest.raises(ff.errors.NotFoundError, match="nope"):
        missing.read()


def test_files_copy_rename_remove_stat_glob(tmp_path):
    root = str(tmp_path)
    ff.io.write_file(root + "/d/f.bin", b"\x00\x01")  # creates the missing directory
    assert gfile.GFile(root + "/d/f.bin", "rb").read() == b"\x00\x01"
    info = gfile.stat(root + "/d/f.bin")
    assert info.length == 2 and not info.is_directory and isinstance(info.mtime_nsec, int)
    assert gfile.stat(root + "/d").is_directory
    with pytest.raises(ff.errors.NotFoundError):
        gfile.stat(root + "/nope")
    gfile.copy(root + "/d/f.bin", root + "/d/g.bin")
    with pytest.raises(ff.errors.AlreadyExistsError):
        gfile.copy(root + "/d/f.bin", root + "/d/g.bin")
    gfile.copy(root + "/d/f.bin", root + "/d/g.bin", overwrite=True)
    with pytest.raises(ff.errors.NotFoundError):
        gfile.copy(root + "/nope", root + "/d/h.bin")
    assert gfile.glob(root + "/d/*.bin") == [root + "/d/f.bin", root + "/d/g.bin"]
    assert gfile.glob([root + "/d/g*", root + "/d"]) == [root + "/d", root + "/d/g.bin"]
    assert gfile.glob(root + "/zz*") == []
    gfile.rename(root + "/d/g.bin", root + "/d/h.bin")
    with pytest.raises(ff.errors.AlreadyExistsError):
        gfile.rename(root + "/d/h.bin", root + "/d/f.bin")
    gfile.rename(root + "/d/h.bin", root + "/d/f.bin", overwrite=True)
    assert gfile.listdir(root + "/d") == ["f.bin"]
    with pytest.raises(ff.errors.FailedPreconditionError, match="Is a directory"):
        gfile.remove(root + "/d")
    gfile.remove(root + "/d/f.bin")
    with pytest.raises(ff.errors.NotFoundError):
        gfile.remove(root + "/d/f.bin")
    assert not os.path.exists(root + "/d/f.bin")


def test_paths_may_be_string_tensors(tmp_path):
    name = ff.constant(str(tmp_path / "t.txt"))
    ff.io.write_file(name, ff.constant("hé"))
    assert gfile.exists(name) and gfile.GFile(name).read() == "hé"
    assert ff.io.read_file(name).numpy() == "hé".encode()


def test_write_file_in_a_traced_function_writes_each_element(tmp_path):
    def save(i):
        name = ff.strings.join([str(tmp_path / "out" / "item_"), ff.strings.as_string(i)])
        ff.io.write_file(name, ff.strings.as_string(i * i))
        return i

    it = iter(ff.data.Dataset.range(4).map(save))
    assert [int(x) for x in it] == [0, 1, 2, 3]
    assert not any("runs as Python" in n for stage in it.stats() for n in stage["notes"])
    written = {p.name: p.read_text() for p in (tmp_path / "out").iterdir()}
    assert written == {f"item_{i}": str(i * i) for i in range(4)}
