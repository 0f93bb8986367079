#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Host side of the pvkit Xen test host (python3 stdlib): boot Xen + the Debian dom0 under QEMU with
# a per-run plan appended to the initrd, turn dom0's result records (virtio-serial, else COM2) into
# results.json and per-case console logs. CLI: xenhost.py run|build|check-plan (docs/xen-host.md).
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))        # the pvkit source tree
BUILD_HOST = os.path.join(HERE, "build-host.sh")

# QEMU exactly as XEN-HOST.md: plain "-cpu max" crashes dom0 under TCG (SMAP fault).
QEMU = "qemu-system-x86_64"
QEMU_MACHINE = ["-machine", "q35", "-cpu", "max,-smap,-smep", "-m", "2048", "-smp", "2"]
# dom0 gets pCPU 0 alone and DomUs pCPU 1 (see render_config): under TCG, a PVH/HVM vCPU sharing
# a pCPU with dom0 corrupts dom0's user state (random segfaults of xl); docs/xen-host.md.
XEN_CMDLINE = ("console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all console_timestamps=boot "
               "dom0_mem=1024M,max:1024M dom0_max_vcpus=1 dom0_vcpus_pin")
DOMU_CPUS = "1"
DOM0_CMDLINE = "console=hvc0 earlyprintk=xen"

# Where things are inside dom0 (the per-run overlay cpio puts them there).
DOM0_IMAGE_DIR = "/pvkit/image"
DOM0_TESTDIR = "/pvkit/tests"
DOM0_CASEDIR = "/pvkit/cases"
DOM0_TOOLS_DIR = "/pvkit/tools"  # static helper programs built by `make dom0-tools` (tools/dom0/)
DOM0_IMAGES_DIR = "/pvkit/images"  # the other guest images the plan's cases boot (image=NAME)

# Guest images besides --image that a case can boot (plan option image=NAME: @KERNEL@ is then
# /pvkit/images/NAME.elf), each by default at this path relative to the --image file's
# directory (the build directory; `make examples` builds them). run --with-image NAME=PATH
# (run_plan's images=) gives another file, or a name not listed here.
IMAGES = {"hello": "examples/hello/hello.elf"}

SILENCE_S = 120          # no serial output this long before the plan started = hung boot
BOOT_TIMEOUT_S = 300     # dom0 not "ready" by then = failed boot (retried once like a hang)
POWEROFF_GRACE_S = 30    # after "done", QEMU should exit by itself within this
WATCHDOG_MARGIN_S = 30   # dom0's own watchdog fires this long before the host deadline
DEFAULT_HOOK_TIMEOUT_S = 60
RECORD = b"@@pvx "
RESULTS_PORT = "pvkit.results"    # the virtio-serial port dom0 writes its records to

# Records that become whole files in the logs directory.
DOM0_LOGS = {"xl-dmesg": "xl-dmesg.log", "hotplug": "xen-hotplug.log", "xl-list": "xl-list.log",
             "xl-info": "xl-info.log", "varlog": "dom0-var-log-xen.log"}
GENERATED_LOGS = set(DOM0_LOGS.values()) | {"results.json", "serial.log", "channel.log",
                                            "com2.log", "qemu.log"}

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
IMAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class XenHostError(Exception):
    """The harness itself failed (as opposed to a guest failing a test)."""


class PlanError(XenHostError):
    """The plan file or a config template is invalid."""


# ---------------------------------------------------------------------------------------------
# Host build (cached by build-host.sh)

def build_host(log=None, quiet=True):
    """Build or reuse the cached host (xen, vmlinuz, dom0.cpio.gz). Return its directory."""
    cmd = ["bash", BUILD_HOST, "--print-dir"]
    if log:
        cmd += ["--log", log]
    stderr = subprocess.DEVNULL if (quiet and log) else None
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, timeout=3600, check=False)
    except subprocess.TimeoutExpired:
        raise XenHostError("build-host.sh took more than an hour")
    out = p.stdout.decode().strip().splitlines()
    if p.returncode != 0 or not out:
        raise XenHostError("build-host.sh failed (exit %d)%s" % (
            p.returncode, "; see " + log if log else ""))
    host = out[-1]
    for f in ("xen", "vmlinuz", "dom0.cpio.gz"):
        if not os.path.isfile(os.path.join(host, f)):
            raise XenHostError("host dir %s lacks %s" % (host, f))
    return host


# ---------------------------------------------------------------------------------------------
# Plan

def parse_plan(plan):
    """Parse a plan file. One case per line: 'name cfg timeout [key=value...] [-- guest cmdline]';
    '#' starts a comment (at the start of a line or after a blank). cfg and hook= are relative
    to the plan's directory. Return a list of case dicts; raise PlanError with file:line."""
    plan_dir = os.path.dirname(os.path.abspath(plan))
    cases, seen = [], set()
    try:
        with open(plan, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise PlanError("cannot read plan %s: %s" % (plan, e.strerror))
    for no, raw in enumerate(lines, 1):
        where = "%s:%d" % (plan, no)
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        m = re.search(r"(^|\s)--(\s|$)", line)
        head, extra = (line[:m.start()], line[m.end():].strip()) if m else (line, "")
        fields = head.split()
        if len(fields) < 3:
            raise PlanError("%s: want 'name cfg timeout [key=value...] [-- cmdline]'" % where)
        name, cfg, timeout = fields[:3]
        if not NAME_RE.match(name):
            raise PlanError("%s: case name %r: use letters, digits, '_', '.', '-' (max 48)" % (where, name))
        if name in seen:
            raise PlanError("%s: case name %r used twice" % (where, name))
        seen.add(name)
        if not re.match(r"^[0-9]+$", timeout) or not 0 < int(timeout) <= 86400:
            raise PlanError("%s: timeout %r: want whole seconds > 0" % (where, timeout))
        case = {"name": name, "cfg": cfg, "timeout": int(timeout), "extra": extra, "hook": None,
                "hook_timeout": DEFAULT_HOOK_TIMEOUT_S, "own": False, "image": None, "vars": {},
                "line": no}
        for kv in fields[3:]:
            k, eq, v = kv.partition("=")
            if not eq or not KEY_RE.match(k):
                raise PlanError("%s: %r: options are key=value (lower-case key)" % (where, kv))
            if k == "hook":
                case["hook"] = v
            elif k == "own":
                if v not in ("0", "1"):
                    raise PlanError("%s: own=%r: want 0 or 1" % (where, v))
                case["own"] = v == "1"
            elif k == "image":
                if not IMAGE_NAME_RE.match(v):
                    raise PlanError("%s: image=%r: a name (%s, or one given to run --with-image)"
                                    % (where, v, ", ".join(sorted(IMAGES))))
                case["image"] = v
            elif k == "hook_timeout":
                if not v.isdigit() or int(v) <= 0:
                    raise PlanError("%s: hook_timeout=%r: want whole seconds > 0" % (where, v))
                case["hook_timeout"] = int(v)
            else:
                case["vars"][k.upper()] = v
        if case["own"] and not case["hook"]:
            raise PlanError("%s: own=1 needs a hook (its running phase owns the domain)" % where)
        for what, rel in (("config", cfg), ("hook", case["hook"])):
            if rel is None:
                continue
            p = os.path.normpath(os.path.join(plan_dir, rel))
            if not p.startswith(plan_dir + os.sep) or not os.path.isfile(p):
                raise PlanError("%s: %s %r is not a file inside %s" % (where, what, rel, plan_dir))
        if any(c in extra for c in '"\\\n'):
            raise PlanError("%s: the guest command line may not contain '\"' or '\\'" % where)
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# Configs derived from an example (tests/xen/README.md "Configs from an example")

# A template with a line "# from-example: examples/xen/pvkit-pv.cfg" (a path in the pvkit source
# tree) is not an xl config of its own: it lists the few settings in which the test host
# differs from a user's host, and the config is the example, line by line, with those set.
# So the examples users copy are the configs the tests boot and cannot rot. Only these keys
# may be set: the domain's name, the kernel file and its command line, how it ends (dom0 reads
# that from xl list: "preserve"), where it runs (dom0 has pCPU 0 to itself), the TSC mode QEMU's
# SVM needs for PVH, and in the example's one disk and one vif: the image file, the bridge,
# the MAC. Every other line stays as the example has it.
FROM_EXAMPLE_RE = re.compile(r"^#\s*from-example:\s*(\S+)\s*$", re.M)
DERIVE_KEYS = ("name", "kernel", "extra", "on_poweroff", "on_crash", "on_reboot", "cpus",
               "tsc_mode")
DERIVE_SUBKEYS = {"disk": ("target",), "vif": ("bridge", "mac")}
# key[.subkey] = value [# comment]: one setting on one line (a list closes on its line too)
SETTING_RE = re.compile(r"""^\s*([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?\s*=\s*"""
                        r"""("[^"]*"|'[^']*'|\[[^\]]*\]|[^\s#"'\[]+)\s*(?:#.*)?$""")
LIST_ITEM_RE = re.compile(r"'([^']*)'" + r'|"([^"]*)"')


def _unquote(v):
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v


def _settings(path, text, dotted):
    """[(line index, key, subkey, value)] of an xl config's settings; PlanError for a line
    that is neither a comment nor one whole setting."""
    out = []
    for i, line in enumerate(text.splitlines()):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = SETTING_RE.match(line)
        if not m or (m.group(2) and not dotted):
            raise PlanError("%s:%d: want one 'key = value' setting on the line (lists too): %r"
                            % (path, i + 1, line.strip()))
        out.append((i, m.group(1), m.group(2), m.group(3)))
    return out


def _set_in_spec(path, key, spec, sub, value):
    """A disk or vif spec (comma-separated key=value) with sub=value set. A disk's target= is
    last (it may hold commas, xl-disk-configuration(5))."""
    if key == "disk":
        if "target=" not in spec:
            raise PlanError("%s: the example's disk spec has no target=: write it as "
                            "'format=...,vdev=...,access=...,target=FILE'" % path)
        return spec[:spec.index("target=")].rstrip(",") + ",target=" + value
    toks = [t for t in spec.split(",") if t.strip()]
    for i, t in enumerate(toks):
        if t.strip().startswith(sub + "="):
            toks[i] = "%s=%s" % (sub, value)
            break
    else:
        toks.append("%s=%s" % (sub, value))
    return ",".join(toks)


def derive_config(path, text, src=SRC):
    """The config of template @path (text @text) that names an example: the example's lines
    with the template's settings applied (DERIVE_KEYS replace the example's value or are
    added at the end; disk.target, vif.bridge, vif.mac are set inside the example's one disk
    and one vif). The example's path is relative to @src (the pvkit tree). Raise PlanError for
    any other key or an example the rules cannot apply to."""
    m = FROM_EXAMPLE_RE.search(text)
    rel = m.group(1)
    example = os.path.normpath(os.path.join(src, rel))
    if not example.startswith(os.path.abspath(src) + os.sep) or not os.path.isfile(example):
        raise PlanError("%s: from-example %s is not a file in %s" % (path, rel, src))
    with open(example, encoding="utf-8") as f:
        ex_text = f.read()
    tname = os.path.basename(path)
    allowed = " ".join(DERIVE_KEYS + tuple("%s.%s" % (a, b) for a, bs in
                                           sorted(DERIVE_SUBKEYS.items()) for b in bs))
    plain, sub = {}, {}
    for _, k, s, v in _settings(path, text, dotted=True):
        if (s and s not in DERIVE_SUBKEYS.get(k, ())) or (not s and k not in DERIVE_KEYS):
            raise PlanError("%s: %s%s: a derived config may set only %s; every other line is "
                            "the example's" % (path, k, "." + s if s else "", allowed))
        if s:
            sub.setdefault(k, {})[s] = _unquote(v)
        else:
            plain[k] = v
    lines = ex_text.splitlines()
    done = set()
    for i, k, _, v in reversed(_settings(example, ex_text, dotted=False)):
        if k in plain:
            lines[i:i + 1] = ["# %s sets %s (the example: %s)" % (tname, k, v),
                              "%s = %s" % (k, plain[k])]
            done.add(k)
        elif k in sub:
            items = [x.group(1) if x.group(1) is not None else x.group(2)
                     for x in LIST_ITEM_RE.finditer(v)]
            if len(items) != 1:
                raise PlanError("%s: %s.*: the example %s must have exactly one %s, has %d"
                                % (path, k, rel, k, len(items)))
            spec = items[0]
            for s, val in sorted(sub[k].items()):
                spec = _set_in_spec(path, k, spec, s, val)
            q = "'" if v.lstrip("[ ").startswith("'") else '"'
            lines[i:i + 1] = ["# %s sets %s in it (the example: %s)" % (
                tname, ", ".join(sorted(sub[k])), v), "%s = [ %s%s%s ]" % (k, q, spec, q)]
            done.add(k)
    for k in sub:
        if k not in done:
            raise PlanError("%s: %s.*: the example %s has no %s line" % (path, k, rel, k))
    added = [k for k in DERIVE_KEYS if k in plain and k not in done]
    head = ["# Rendered by xenhost.py: %s with the settings of %s (tests/xen/README.md)"
            % (rel, tname)]
    tail = ["", "# %s adds (not in the example):" % tname] if added else []
    tail += ["%s = %s" % (k, plain[k]) for k in added]
    return "\n".join(head + lines + tail) + "\n"


def config_template(plan_dir, cfg, src=SRC):
    """Case config @cfg (relative to @plan_dir) before its placeholders are filled: the file,
    or the example config it derives from with its settings applied (derive_config)."""
    path = os.path.join(plan_dir, cfg)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if FROM_EXAMPLE_RE.search(text):
        text = derive_config(path, text, src)
    return text


def image_dom0_path(name):
    """Where the image a case names with image=NAME is inside dom0."""
    return "%s/%s.elf" % (DOM0_IMAGES_DIR, name)


def render_config(case, plan_dir, image_name):
    """Substitute @KERNEL@ @NAME@ @EXTRA@ @TESTDIR@ and the case's key=value options (@KEY@)
    into its template (derived from an example if it names one). @KERNEL@ is the --image
    file (@image_name), or the image the case names with image=. Return (config text, domain
    name)."""
    path = os.path.join(plan_dir, case["cfg"])
    text = config_template(plan_dir, case["cfg"])
    subs = dict(case["vars"])
    kernel = (image_dom0_path(case["image"]) if case.get("image")
              else DOM0_IMAGE_DIR + "/" + image_name)
    subs.update({"KERNEL": kernel, "NAME": case["name"],
                 "EXTRA": case["extra"], "TESTDIR": DOM0_TESTDIR})
    for k, v in subs.items():
        text = text.replace("@%s@" % k, v)
    left = sorted(set(re.findall(r"@[A-Z][A-Z0-9_]*@", text)))
    if left:
        raise PlanError("%s (case %s): no value for %s (give it as key=value in the plan)" % (
            path, case["name"], " ".join(left)))
    m = re.search(r"""^\s*name\s*=\s*["']([^"']+)["']""", text, re.M)
    if not m:
        raise PlanError('%s: the template must set name = "@NAME@"' % path)
    if not re.search(r"^\s*(cpus|pool)\s*=", text, re.M):
        text += ('\n# added by xenhost.py: DomUs run on pCPU %s, dom0 alone on pCPU 0\ncpus = "%s"\n'
                 % (DOMU_CPUS, DOMU_CPUS))
    for action in ("on_poweroff", "on_crash", "on_reboot"):
        if not re.search(r"""^\s*%s\s*=\s*["']preserve["']""" % action, text, re.M):
            print("xenhost: warning: %s: %s is not \"preserve\": the end state may read 'destroyed'"
                  % (path, action), file=sys.stderr)
    return text, m.group(1)


def resolve_images(image, cases, images=None):
    """{name: host file} of the images the cases name with image=: @images (name -> file),
    else IMAGES' default path relative to @image's directory. XenHostError for a name
    with neither, or a file that does not exist."""
    out = {}
    build = os.path.dirname(os.path.abspath(image))
    for c in cases:
        name = c.get("image")
        if not name or name in out:
            continue
        default = not (images and name in images)
        if not default:
            path = images[name]
        elif name in IMAGES:
            path = os.path.join(build, IMAGES[name])
        else:
            raise XenHostError("case %s: image=%s: no such image (known: %s; or run "
                               "--with-image %s=FILE)" % (c["name"], name,
                                                         ", ".join(sorted(IMAGES)), name))
        if not os.path.isfile(path):
            raise XenHostError("case %s: image=%s: %s does not exist%s" % (
                c["name"], name, path, " (make examples)" if default else ""))
        out[name] = path
    return out


# ---------------------------------------------------------------------------------------------
# The per-run overlay: a newc cpio appended to dom0.cpio.gz (Linux unpacks concatenated archives)

def _newc_entry(name, mode, data, ino):
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    out = hdr.encode() + name.encode() + b"\0"
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def newc_archive(entries):
    """entries: [(path without leading '/', mode, bytes or None for a directory)]."""
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries, 1):
        if data is None:
            out += _newc_entry(name, 0o040755 if mode is None else 0o040000 | mode, b"", ino)
        else:
            out += _newc_entry(name, 0o100000 | mode, data, ino)
    out += _newc_entry("TRAILER!!!", 0, b"", 0)
    out += b"\0" * (-len(out) % 512)
    return bytes(out)


def default_tools_dir(image):
    """Where `make dom0-tools` puts dom0's helper programs: beside the image."""
    return os.path.join(os.path.dirname(os.path.abspath(image)), "dom0-tools")


def _tree_entries(top, base):
    """Overlay entries for the regular files under 'top' (dot files skipped), placed at 'base'."""
    entries = []
    for dirpath, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        rel = os.path.relpath(dirpath, top)
        where = base if rel == "." else base + "/" + rel
        if rel != ".":
            entries.append((where, None, None))
        for fn in sorted(files):
            p = os.path.join(dirpath, fn)
            if fn.startswith(".") or not os.path.isfile(p):
                continue
            with open(p, "rb") as f:
                entries.append((where + "/" + fn, os.stat(p).st_mode & 0o777, f.read()))
    return entries


def make_overlay(image, plan, cases, watchdog_s, channel="auto", tools_dir=None, extra=None,
                 images=None):
    """Build the overlay cpio: image, the plan directory's files, rendered configs, plan.tsv,
    the static helper programs of 'tools_dir' (as /pvkit/tools, if the directory exists),
    the images the cases name ('images': {name: host file}, as /pvkit/images/NAME.elf) and
    'extra' files ({dom0 path under pvkit/: host file}, e.g. a second guest kernel)."""
    plan_dir = os.path.dirname(os.path.abspath(plan))
    image_name = os.path.basename(image)
    entries = [("pvkit", None, None), ("pvkit/image", None, None), ("pvkit/tests", None, None),
               ("pvkit/cases", None, None)]
    with open(image, "rb") as f:
        entries.append(("pvkit/image/" + image_name, 0o644, f.read()))
    if images:      # not in /pvkit/image: hooks take the one file there for the reference kernel
        entries.append((DOM0_IMAGES_DIR.lstrip("/"), None, None))
        for name, src in sorted(images.items()):
            with open(src, "rb") as f:
                entries.append((image_dom0_path(name).lstrip("/"), 0o644, f.read()))
    if tools_dir and os.path.isdir(tools_dir):
        entries.append((DOM0_TOOLS_DIR.lstrip("/"), None, None))
        entries += _tree_entries(tools_dir, DOM0_TOOLS_DIR.lstrip("/"))
    for dst, src in sorted((extra or {}).items()):
        parts = dst.strip("/").split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if not any(e[0] == d for e in entries):
                entries.append((d, None, None))
        with open(src, "rb") as f:
            entries.append(("/".join(parts), os.stat(src).st_mode & 0o777, f.read()))
    entries += _tree_entries(plan_dir, "pvkit/tests")
    tsv = []
    for c in cases:
        text, dname = render_config(c, plan_dir, image_name)
        c["dom_name"] = dname
        entries.append(("pvkit/cases/%s.cfg" % c["name"], 0o644, text.encode()))
        tsv.append("\t".join([c["name"], "%s/%s.cfg" % (DOM0_CASEDIR, c["name"]), str(c["timeout"]),
                              dname, c["hook"] or "-", str(c["hook_timeout"]),
                              "1" if c["own"] else "0"]))
    entries.append(("pvkit/plan.tsv", 0o644, ("\n".join(tsv) + "\n").encode()))
    env = "PVKIT_WATCHDOG=%d\nPVKIT_CHANNEL=%s\n" % (watchdog_s, channel)
    entries.append(("pvkit/run.env", 0o644, env.encode()))
    return newc_archive(entries)


# ---------------------------------------------------------------------------------------------
# QEMU

def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def host_accel():
    """TCG unless PVKIT_QEMU_ACCEL=kvm asks for KVM (as for the boot suite). An open /dev/kvm
    is not enough: Xen's PVH DomUs need VMX/SVM inside the QEMU guest (nested virtualisation),
    and on a machine seen on 2026-12-07 (AMD EPYC, no svm flag) QEMU aborted at once under
    KVM with -cpu max ("failed to set MSR 0x10a"). TCG is what every measured number and time
    budget of this project assume (docs/xen-host.md)."""
    want = os.environ.get("PVKIT_QEMU_ACCEL", "tcg")
    if want not in ("tcg", "kvm"):
        raise XenHostError("PVKIT_QEMU_ACCEL=%s: want tcg or kvm" % want)
    if want == "kvm" and not kvm_usable():
        raise XenHostError("PVKIT_QEMU_ACCEL=kvm but /dev/kvm cannot be opened")
    return want


def qemu_version():
    try:
        p = subprocess.run([QEMU, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30, check=False)
        return p.stdout.decode(errors="replace").splitlines()[0].strip()
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def _qarg(s):
    return s.replace(",", ",,")     # QEMU option values: a literal comma is doubled


def qemu_command(host_dir, initrd, serial_log, channel_log, com2_log, accel):
    xen_cmdline = (XEN_CMDLINE + " " + os.environ.get("PVKIT_XEN_ARGS", "")).strip()
    return ([QEMU] + QEMU_MACHINE +
            ["-accel", accel, "-display", "none", "-no-reboot", "-nodefaults", "-monitor", "none",
             "-chardev", "file,id=com1,path=" + _qarg(serial_log), "-serial", "chardev:com1",
             "-chardev", "file,id=com2,path=" + _qarg(com2_log), "-serial", "chardev:com2",
             "-device", "virtio-serial-pci,id=vser",
             "-chardev", "file,id=results,path=" + _qarg(channel_log),
             "-device", "virtserialport,bus=vser.0,chardev=results,name=" + RESULTS_PORT,
             ] + os.environ.get("PVKIT_QEMU_ARGS", "").split() + [
             "-kernel", os.path.join(host_dir, "xen"), "-append", xen_cmdline,
             "-initrd", "%s %s,%s" % (_qarg(os.path.join(host_dir, "vmlinuz")), _qarg(DOM0_CMDLINE),
                                      _qarg(initrd))])


class LineReader:
    """Complete lines appended to a file since the last call."""

    def __init__(self, path):
        self.path, self.off, self.part = path, 0, b""

    def read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except FileNotFoundError:
            return []
        self.off += len(data)
        lines = (self.part + data).split(b"\n")
        self.part = lines.pop()
        return lines

    def flush(self):
        rest, self.part = self.part, b""
        return [rest] if rest else []


# ---------------------------------------------------------------------------------------------
# Records from dom0 (format: docs/xen-host.md)

def _kv(text):
    out = {}
    for tok in text.split():
        k, eq, v = tok.partition("=")
        if eq:
            out[k] = v
    return out


def _num(v, conv=float):
    try:
        return conv(v)
    except (TypeError, ValueError):
        return None


class Collector:
    """Turns dom0's records into the results structure; streams consoles when interactive."""

    def __init__(self, cases, interactive, progress):
        self.cases = {}
        for c in cases:
            self.cases[c["name"]] = {
                "name": c["name"], "cfg": c["cfg"], "image": c.get("image"),
                "dom_name": c.get("dom_name"),
                "timeout_s": c["timeout"], "extra": c["extra"], "end": "not-run", "domid": None,
                "create_rc": None, "hook_rc": {}, "console_lines": [], "console_bytes": None,
                "console_complete": None, "t_create_s": None, "t_first_output_s": None,
                "t_end_s": None, "t_case_s": None, "state": None, "create_output": [],
                "hook_output": {}, "messages": []}
        self.interactive, self.progress = interactive, progress
        self.boot = self.ready = self.done = None
        self.plan_started = False
        self.messages, self.files = [], {}
        self.t_ready_host = None
        self.current = None
        self._case_t0 = {}

    def _case(self, name):
        return self.cases.get(name)

    def feed(self, raw, t_host):
        if not raw.startswith(RECORD):
            return
        line = raw[len(RECORD):].decode("utf-8", errors="replace").rstrip("\r")
        parts = line.split(" ", 2)
        while len(parts) < 3:
            parts.append("")
        kind, name, text = parts
        c = self._case(name)
        if kind == "con" and c is not None:
            c["console_lines"].append(text)
            if self.interactive:
                print("[%s] %s" % (name, text), flush=True)
        elif kind == "boot":
            self.boot = _kv(text)
        elif kind == "ready":
            self.ready = _kv(text)
            self.t_ready_host = t_host
            self.progress("dom0 ready after %.1f s (dom0 uptime %s s, Xen %s)" % (
                t_host, self.ready.get("t"), self.ready.get("xen")))
        elif kind == "case-start" and c is not None:
            self.plan_started = True
            self.current = name
            kv = _kv(text)
            c["end"] = "incomplete"
            self._case_t0[name] = _num(kv.get("t"))
            self.progress("case %s: start" % name)
        elif kind == "created" and c is not None:
            kv = _kv(text)
            c["create_rc"] = _num(kv.get("rc"), int)
            c["t_create_s"] = _num(kv.get("t"))
            c["domid"] = _num(kv.get("domid"), int)
        elif kind == "create-out" and c is not None:
            c["create_output"].append(text)
            if self.interactive:
                print("[%s] xl create: %s" % (name, text), flush=True)
        elif kind == "first-output" and c is not None:
            c["t_first_output_s"] = _num(_kv(text).get("t"))
        elif kind == "end" and c is not None:
            kv = _kv(text)
            c["end"] = kv.get("end", "unknown")
            c["t_end_s"] = _num(kv.get("t"))
            c["state"] = kv.get("state")
            if c["domid"] is None:
                c["domid"] = _num(kv.get("domid"), int)
            self.progress("case %s: end=%s after %s s (first output %s s)" % (
                name, c["end"], kv.get("t"), c["t_first_output_s"]))
        elif kind == "con-end" and c is not None:
            kv = _kv(text)
            c["console_bytes"] = _num(kv.get("bytes"), int)
            c["console_complete"] = _num(kv.get("lines"), int) == len(c["console_lines"])
        elif kind == "hook-out" and c is not None:
            phase, _, msg = text.partition(" ")
            c["hook_output"].setdefault(phase, []).append(msg)
            if self.interactive:
                print("[%s] hook %s: %s" % (name, phase, msg), flush=True)
        elif kind == "hook-rc" and c is not None:
            kv = _kv(text)
            rc = kv.get("rc")
            c["hook_rc"][kv.get("phase", "?")] = _num(rc, int) if rc != "killed" else "killed"
        elif kind == "case-end" and c is not None:
            t = _num(_kv(text).get("t"))
            if t is not None and self._case_t0.get(name) is not None:
                c["t_case_s"] = round(t - self._case_t0[name], 2)
            self.current = None
        elif kind == "msg":
            (c["messages"] if c is not None else self.messages).append(text)
            self.progress("dom0: %s%s" % ("[%s] " % name if c is not None else "", text))
        elif kind in ("xl-dmesg", "hotplug", "xl-list", "xl-info"):
            self.files.setdefault(kind, []).append(text)
        elif kind == "varlog":
            self.files.setdefault("varlog", []).append("%s: %s" % (name, text))
        elif kind == "done":
            self.done = _kv(text)


# ---------------------------------------------------------------------------------------------
# One boot of QEMU

def _tail(path, n=15):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 16384))
            lines = f.read().decode(errors="replace").replace("\r", "").splitlines()
        return "\n".join("    " + l for l in lines[-n:])
    except OSError:
        return "    (no output)"


def _boot_once(host_dir, initrd, logs, collector, deadline_s, accel, progress):
    """Run QEMU once. Return (outcome, detail, seconds): outcome is 'done', 'hang' (retry
    allowed), 'qemu-exit' or 'timeout'."""
    serial_log = os.path.join(logs, "serial.log")
    channel_log = os.path.join(logs, "channel.log")
    com2_log = os.path.join(logs, "com2.log")
    for p in (serial_log, channel_log, com2_log):
        open(p, "wb").close()
    cmd = qemu_command(host_dir, initrd, serial_log, channel_log, com2_log, accel)
    with open(os.path.join(logs, "qemu.log"), "w") as ql:
        ql.write("$ " + " ".join(cmd) + "\n")
        ql.flush()
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=ql, stderr=subprocess.STDOUT)
    # dom0 writes records to exactly one of: virtio port (channel.log), COM2, hvc0 (serial.log)
    chan, com2, ser = LineReader(channel_log), LineReader(com2_log), LineReader(serial_log)
    sizes, last_growth = (0, 0, 0), t0
    use_serial = False
    outcome, detail = None, ""
    try:
        while True:
            now = time.monotonic()
            el = now - t0
            for raw in chan.read() + com2.read():
                collector.feed(raw, el)
            for raw in ser.read():
                raw = raw.rstrip(b"\r")
                if not use_serial and raw.startswith(RECORD + b"boot ") and b"chan=hvc0" in raw:
                    use_serial = True
                    progress("dom0 has no COM2: reading records from the Xen console (COM1)")
                if use_serial:
                    i = raw.find(RECORD)
                    if i >= 0:
                        collector.feed(raw[i:], el)
            cur = tuple(os.path.getsize(p) for p in (serial_log, channel_log, com2_log))
            if cur != sizes:
                sizes, last_growth = cur, now
            if collector.done is not None:
                outcome = "done"
                break
            rc = proc.poll()
            if rc is not None:
                outcome, detail = "qemu-exit", "QEMU exited with status %d" % rc
                break
            if not collector.plan_started:
                if now - last_growth > SILENCE_S:
                    outcome, detail = "hang", "no serial output for %d s before the plan started" % SILENCE_S
                    break
                if collector.ready is None and el > BOOT_TIMEOUT_S:
                    outcome, detail = "hang", "dom0 not ready after %d s" % BOOT_TIMEOUT_S
                    break
            if el > deadline_s:
                outcome, detail = "timeout", "run timed out after %d s" % deadline_s
                break
            time.sleep(0.1)
        if outcome == "done":
            try:
                proc.wait(timeout=POWEROFF_GRACE_S)
            except subprocess.TimeoutExpired:
                progress("QEMU did not exit %d s after dom0's poweroff: killing it" % POWEROFF_GRACE_S)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        el = time.monotonic() - t0
        for raw in chan.read() + chan.flush() + com2.read() + com2.flush():
            collector.feed(raw, el)
    return outcome, detail, time.monotonic() - t0


# ---------------------------------------------------------------------------------------------
# The whole run

def run_plan(image, plan, logs, timeout=900, interactive=False, host_dir=None, retry=True,
             quiet=False, channel="auto", tools_dir=None, extra=None, images=None):
    """Boot the Xen test host, run every case of 'plan' with 'image' as @KERNEL@, write
    results.json, per-case <case>.console.log and the serial logs under 'logs'. Return the
    results dict; results["harness_ok"] says whether the harness itself worked (not whether the
    guests passed). Raises PlanError for an invalid plan and XenHostError if the host cannot
    be built. channel ("auto", "com2", "hvc0") forces a slower result channel, for debugging.
    tools_dir (default: dom0-tools beside the image) goes to dom0 as /pvkit/tools; extra maps
    dom0 paths under /pvkit to host files (make_overlay); images ({name: host file}) gives the
    images cases name with image=NAME, by default IMAGES' paths beside the image."""
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, "run.log"), "w") as run_log:
        return _run_plan(image, plan, logs, timeout, interactive, host_dir, retry, quiet, channel,
                         run_log, tools_dir, extra, images)


def _run_plan(image, plan, logs, timeout, interactive, host_dir, retry, quiet, channel, run_log,
              tools_dir, extra, images):
    t_run = time.monotonic()

    def progress(msg):
        line = "xenhost: " + msg
        run_log.write("[%7.1f] %s\n" % (time.monotonic() - t_run, line))
        run_log.flush()
        if not quiet:
            print(line, file=sys.stderr, flush=True)

    if not os.path.isfile(image):
        raise XenHostError("image %s does not exist" % image)
    if shutil.which(QEMU) is None:
        raise XenHostError("%s not found (Debian package qemu-system-x86)" % QEMU)
    cases = parse_plan(plan)
    images = resolve_images(image, cases, images)
    for name, path in sorted(images.items()):
        progress("image %s: %s (as %s)" % (name, path, image_dom0_path(name)))
    if host_dir is None:
        progress("building/reusing the Xen host (log: %s)" % os.path.join(logs, "build-host.log"))
        host_dir = build_host(log=os.path.join(logs, "build-host.log"))
    progress("host %s" % host_dir)
    worst = BOOT_TIMEOUT_S + sum(c["timeout"] + 10 for c in cases)
    if worst > timeout:
        progress("note: if every case ran to its timeout the plan would need ~%d s; "
                 "--timeout is %d s" % (worst, timeout))
    watchdog = max(60, timeout - WATCHDOG_MARGIN_S)
    if channel not in ("auto", "com2", "hvc0"):
        raise XenHostError("channel must be auto, com2 or hvc0")
    if tools_dir is None:
        tools_dir = default_tools_dir(image)
    overlay = make_overlay(image, plan, cases, watchdog, channel, tools_dir, extra, images)
    accel = host_accel()
    host_env = {}
    with open(os.path.join(host_dir, "host.env")) as f:
        for l in f:
            k, _, v = l.strip().partition("=")
            host_env[k] = v

    for name in os.listdir(logs):     # results of an earlier run must not linger
        if (name.endswith((".console.log", ".hooks.log")) or name.startswith("attempt1-")
                or name in GENERATED_LOGS):
            os.unlink(os.path.join(logs, name))
    tmp = tempfile.mkdtemp(prefix="xenhost-")
    try:
        initrd = os.path.join(tmp, "initrd")
        with open(initrd, "wb") as out, open(os.path.join(host_dir, "dom0.cpio.gz"), "rb") as base:
            shutil.copyfileobj(base, out)
            out.write(b"\0" * (-out.tell() % 4))
            out.write(overlay)
        attempts, error = 0, None
        while True:
            attempts += 1
            collector = Collector(cases, interactive, progress)
            progress("booting Xen under QEMU (%s, attempt %d)" % (accel, attempts))
            outcome, detail, qemu_s = _boot_once(host_dir, initrd, logs, collector, timeout, accel,
                                                 progress)
            if outcome == "hang" and retry and attempts == 1:
                progress("%s: killed QEMU, retrying the boot once (see attempt1-serial.log)" % detail)
                for n in ("serial.log", "channel.log", "com2.log", "qemu.log"):
                    os.replace(os.path.join(logs, n), os.path.join(logs, "attempt1-" + n))
                continue
            break
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if outcome != "done":
        if collector.ready is None:
            error = "dom0 never came up: %s. Last lines of %s:\n%s" % (
                detail, os.path.join(logs, "serial.log"), _tail(os.path.join(logs, "serial.log")))
        else:
            error = "%s%s" % (detail, " during case %s" % collector.current if collector.current else "")
    elif collector.done.get("status") != "ok":
        error = "dom0 finished with status %s" % collector.done.get("status")
    unfinished = [c["name"] for c in collector.cases.values() if c["end"] in ("not-run", "incomplete")]
    if error is None and unfinished:
        error = "cases not run to the end: %s" % ", ".join(unfinished)
    incomplete = [c["name"] for c in collector.cases.values() if c["console_complete"] is False]
    if error is None and incomplete:
        error = "console relay lost lines for: %s" % ", ".join(incomplete)

    results = {
        "dom0_booted": collector.ready is not None,
        "harness_ok": error is None,
        "error": error,
        "attempts": attempts,
        "host": {
            "qemu": qemu_version(), "accel": accel,
            "xen": (collector.ready or {}).get("xen"), "xen_deb": host_env.get("XEN_DEB_VERSION"),
            "kernel": (collector.ready or {}).get("kernel"),
            "kernel_deb": host_env.get("KERNEL_DEB_VERSION"), "host_dir": host_dir,
            "channel": (collector.boot or {}).get("chan"),
            "boot_s": round(collector.t_ready_host, 2) if collector.t_ready_host else None,
            "dom0_init_uptime_s": _num((collector.boot or {}).get("t")),
            "dom0_ready_uptime_s": _num((collector.ready or {}).get("t")),
            "qemu_s": round(qemu_s, 2),
        },
        "plan": os.path.abspath(plan), "image": os.path.abspath(image),
        "images": {n: os.path.abspath(p) for n, p in sorted(images.items())},
        "cases": list(collector.cases.values()),
        "messages": collector.messages,
        "t_total_s": round(time.monotonic() - t_run, 2),
    }
    _write_logs(logs, results, collector)
    if error:
        progress("error: " + error)
    progress("%d case(s), results in %s" % (len(cases), os.path.join(logs, "results.json")))
    return results


def _write_logs(logs, results, collector):
    for c in results["cases"]:
        with open(os.path.join(logs, c["name"] + ".console.log"), "w", encoding="utf-8") as f:
            f.writelines(l + "\n" for l in c["console_lines"])
        if c["hook_output"] or c["create_output"]:
            with open(os.path.join(logs, c["name"] + ".hooks.log"), "w", encoding="utf-8") as f:
                f.writelines("xl create: %s\n" % l for l in c["create_output"])
                for ph, lines in c["hook_output"].items():
                    f.writelines("%s: %s\n" % (ph, l) for l in lines)
    for kind, fn in DOM0_LOGS.items():
        if kind in collector.files:
            with open(os.path.join(logs, fn), "w", encoding="utf-8") as f:
                f.writelines(l + "\n" for l in collector.files[kind])
    tmp = os.path.join(logs, "results.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(logs, "results.json"))


# ---------------------------------------------------------------------------------------------
# CLI

def main(argv=None):
    ap = argparse.ArgumentParser(prog="xenhost.py", description="pvkit's Xen test host under QEMU")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot Xen+dom0 and run a plan")
    r.add_argument("--image", required=True, help="the DomU kernel (@KERNEL@ of the configs)")
    r.add_argument("--plan", required=True, help="plan file (cases; configs/hooks beside it)")
    r.add_argument("--logs", required=True, help="directory for results.json and the logs")
    r.add_argument("--timeout", type=int, default=900, help="bound of one boot, s (default 900)")
    r.add_argument("--interactive", action="store_true", help="stream DomU consoles to stdout")
    r.add_argument("--host-dir", help="use this built host instead of build-host.sh")
    r.add_argument("--no-retry", action="store_true", help="do not retry a hung dom0 boot")
    r.add_argument("--channel", default="auto", choices=("auto", "com2", "hvc0"),
                   help="debug: force the result channel (default: virtio port, else COM2)")
    r.add_argument("--with-image", action="append", default=[], metavar="NAME=FILE",
                   help="the image cases with image=NAME boot (default for %s: that path "
                        "beside --image)" % ", ".join("%s: %s" % kv
                                                      for kv in sorted(IMAGES.items())))
    b = sub.add_parser("build", help="build or reuse the cached host; print its directory")
    b.add_argument("--log", help="build log file")
    c = sub.add_parser("check-plan", help="validate a plan and render its configs")
    c.add_argument("--plan", required=True)
    c.add_argument("--image", default="pvkit.elf")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "build":
            print(build_host(log=a.log, quiet=False))
            return 0
        if a.cmd == "check-plan":
            plan_dir = os.path.dirname(os.path.abspath(a.plan))
            for case in parse_plan(a.plan):
                text, dname = render_config(case, plan_dir, os.path.basename(a.image))
                print("== %s (domain %s, image %s, timeout %d s, hook %s)\n%s" % (
                    case["name"], dname, case["image"] or os.path.basename(a.image),
                    case["timeout"], case["hook"] or "-", text))
            return 0
        images = {}
        for kv in a.with_image:
            name, eq, path = kv.partition("=")
            if not eq or not IMAGE_NAME_RE.match(name) or not path:
                raise PlanError("--with-image %r: want NAME=FILE" % kv)
            images[name] = path
        res = run_plan(a.image, a.plan, a.logs, timeout=a.timeout, interactive=a.interactive,
                       host_dir=a.host_dir, retry=not a.no_retry, channel=a.channel,
                       images=images)
    except PlanError as e:
        print("xenhost: plan error: %s" % e, file=sys.stderr)
        return 2
    except XenHostError as e:
        print("xenhost: error: %s" % e, file=sys.stderr)
        return 1
    for c in res["cases"]:
        print("%-24s end=%-13s t_first_output=%-6s t_end=%-6s hooks=%s" % (
            c["name"], c["end"], c["t_first_output_s"], c["t_end_s"], c["hook_rc"] or "-"))
    return 0 if res["harness_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
