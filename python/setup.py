"""Builds aerowire: the C extension over libaerowire.a (linked statically,
so no LD_LIBRARY_PATH is needed) and the pure-Python modules.

It builds from a source checkout: the library comes from the repository
this directory belongs to (AW_BUILD, default ../build, is where `make`
puts libaerowire.a; it is built with `make` when missing). No network:
`pip install --no-build-isolation ./python`.
"""
import os
import shlex
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.abspath(os.environ.get("AW_BUILD", os.path.join(ROOT, "build")))
LIBRARY = os.path.join(BUILD, "libaerowire.a")


def pkg_config_libs():
    try:
        out = subprocess.run(["pkg-config", "--libs", "libevent", "openssl", "zlib"],
                             check=True, capture_output=True, text=True).stdout
        return [a[2:] for a in shlex.split(out) if a.startswith("-l")]
    except (OSError, subprocess.CalledProcessError):
        return ["event", "ssl", "crypto", "z"]


if not os.path.exists(LIBRARY):
    subprocess.run(["make", "-C", ROOT, "BUILD=" + BUILD, LIBRARY], check=True)

HEADERS = sorted(os.path.join(ROOT, "include", "aerowire", f)
                 for f in os.listdir(os.path.join(ROOT, "include", "aerowire")) if f.endswith(".h"))
SOURCES = sorted(os.path.join("src", f) for f in os.listdir(os.path.join(HERE, "src"))
                 if f.endswith(".c"))

setup(
    name="aerowire",
    version="0.1.0",
    description="An Aerospike client over the aerowire C library",
    packages=["aerowire"],
    package_data={"aerowire": ["py.typed", "*.pyi"]},
    ext_modules=[Extension(
        "aerowire._aerowire",
        sources=SOURCES,
        depends=[os.path.join("src", f) for f in os.listdir(os.path.join(HERE, "src"))
                 if f.endswith(".h")] + [LIBRARY] + HEADERS,
        include_dirs=[os.path.join(ROOT, "include")],
        extra_objects=[LIBRARY],
        libraries=pkg_config_libs() + ["crypt", "pthread", "m"],
        extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter",
                            "-Wno-missing-field-initializers", "-Wno-cast-function-type"],
    )],
    python_requires=">=3.9",
    zip_safe=False,
)
