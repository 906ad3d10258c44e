#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen.py - pfnmap's man pages and bash completion, from the program itself.

  gen.py man PFNMAP MANSRC OUTDIR [--bench docs/bench.md] [--set NAME=VALUE]...
  gen.py bash PFNMAP OUT

Both read what the built program says about itself, so neither can drift
from it: `pfnmap --help` (the usage lines, the option lines and the
command table of main.c), `pfnmap COMMAND --help` for each command, and
`pfnmap --list-values` (the values of --kind, --mode, --by, --sort, from
the tables the options are parsed with).

man: pfnmap.8 and pfnmap-COMMAND.8 for each command of `pfnmap --help`.
From --help: NAME (the command table), SYNOPSIS (the usage lines),
DESCRIPTION (the text; "Heading:" blocks become subsections), OPTIONS
(the option lines), COMMANDS (pfnmap.8), EXIT STATUS (the "Exit status:"
sentence), EXAMPLES (an "Examples:" block).  From MANSRC/NAME.8.in, roff
with a .SH line per section: what --help does not say (EXAMPLES, OVERHEAD,
FILES, ENVIRONMENT, more DESCRIPTION, SEE ALSO beyond the pfnmap pages).
In those files @NAME@ is a --set value (paths), and
@bench{TABLE|ROW|COLUMN}@ a cell of docs/bench.md (the table under the
"### TABLE..." heading, the row whose first cell is ROW; a "median
[min-max]" cell gives its median), so the numbers of OVERHEAD are those of
the last `make bench`.

bash: a completion for pfnmap and pfnmap-top: commands, each command's
options, the values of its options (kinds, --mode, --by, --sort; files,
directories, pids, process names by the placeholder --help gives the
argument), its arguments (files, a command line, words).

Exits 1 with a message naming what it could not place: a command without
a MANSRC file, a placeholder it has no completion for, a bench cell that is
not there.
"""

import datetime
import os
import re
import subprocess
import sys

PROG = "gen.py"


def die(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.exit(1)


def run(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
    except OSError as e:
        die("cannot run %s: %s" % (argv[0], e))
    if p.returncode:
        die("%s exited %d: %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p.stdout


# ---- --help ----------------------------------------------------------------

OPT_LINE = re.compile(r"^( {2}| {6})(-\S.*?)(?: {2,}(\S.*))?$")
ITEM_LINE = re.compile(r"^ {2}(\S.*?)(?: {2,}(\S.*))?$")
HEADING = re.compile(r"^(\S[^:]*):$")
INLINE_HEADING = re.compile(r"^([A-Z][A-Za-z]*(?: [A-Za-z]+)?): ")
EXIT_STATUS = "Exit status:"


class Item:
    """An option or an entry of a "Heading:" block: a term and its text,
    each text line with its indentation (deeper than the first line's
    text: preformatted)."""

    def __init__(self, term, col):
        self.term = term
        self.col = col
        self.lines = []         # (preformatted?, text)

    def add(self, text, indent):
        self.lines.append((indent > self.col, text.strip()))


class Help:
    def __init__(self, text, what):
        self.what = what
        self.synopsis = []
        self.blocks = []        # ("para", text) ("items", heading, [Item])
        self.options = []       # [Item]
        self.exit_status = None
        self.parse(text.rstrip("\n").split("\n"))

    def parse(self, lines):
        if not lines or not lines[0].startswith("usage: "):
            die("%s: --help does not start with 'usage: '" % self.what)
        self.synopsis.append(lines[0][len("usage: "):].strip())
        i = 1
        while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
            self.synopsis.append(lines[i].strip())
            i += 1
        block = []
        for line in lines[i:] + [""]:
            if line.strip():
                block.append(line.rstrip())
            elif block:
                self.parse_block(block)
                block = []

    def parse_block(self, block):
        if OPT_LINE.match(block[0]):
            self.options += self.items(block, OPT_LINE)
            return
        m = HEADING.match(block[0])
        if m and len(block) > 1 and block[1].startswith("  "):
            self.blocks.append(("items", m.group(1),
                                self.items(block[1:], ITEM_LINE)))
            return
        text = " ".join(l.strip() for l in block)
        k = text.find(EXIT_STATUS)
        if k >= 0:
            if self.exit_status:
                die("%s: two 'Exit status:' sentences" % self.what)
            self.exit_status = text[k + len(EXIT_STATUS):].strip()
            text = text[:k].strip()
        if text:
            self.blocks.append(("para", text))

    def items(self, block, pattern):
        """Items of an option block (OPT_LINE) or a "Heading:" block."""
        out = []
        for line in block:
            m = pattern.match(line)
            if m:
                if pattern is OPT_LINE:
                    term, text = m.group(2), m.group(3)
                else:
                    term, text = m.group(1), m.group(2)
                start = len(line) - len(line.lstrip(" "))
                col = (line.index(text, start + len(term)) if text else
                       start + len(term) + 2)
                out.append(Item(term.strip(), col))
                if text:
                    out[-1].add(text, col)
            elif out and line.startswith("   "):
                out[-1].add(line, len(line) - len(line.lstrip(" ")))
            else:
                die("%s: cannot place line %r" % (self.what, line))
        return out


def option_forms(term):
    """'-k, --kind K[,K..]' -> ['-k', '--kind'], 'K[,K..]' (or None)."""
    forms, arg = [], None
    for part in term.split(", "):
        words = part.split(" ", 1)
        forms.append(words[0])
        if len(words) > 1:
            arg = words[1]
    return forms, arg


class Program:
    """What `pfnmap --help`, `pfnmap CMD --help` and --list-values say."""

    def __init__(self, path):
        self.path = path
        self.main = Help(run([path, "--help"]), "pfnmap")
        self.version = run([path, "--version"]).split()[1]
        self.commands = []      # (name, one-line help)
        for kind, *rest in self.main.blocks:
            if kind == "items" and rest[0] == "Commands":
                self.commands = [(it.term, " ".join(t for _, t in it.lines))
                                 for it in rest[1]]
        if not self.commands:
            die("pfnmap --help lists no commands")
        self.helps = {}
        # a command whose usage main's help gives (help) has no --help
        self.inline = {}
        for s in self.main.synopsis:
            w = s.split()
            if len(w) > 1 and w[1] in dict(self.commands):
                self.inline[w[1]] = s
        for name, _ in self.commands:
            if name not in self.inline:
                self.helps[name] = Help(run([path, name, "--help"]),
                                        "pfnmap " + name)
        self.values = {}        # (command or '*', --long) -> [values]
        for line in run([path, "--list-values"]).splitlines():
            w = line.split()
            if len(w) >= 2:
                self.values[(w[0], w[1])] = w[2:]


# ---- roff ------------------------------------------------------------------

def esc(s):
    """Text to roff: backslash, minus, quotes; no control character at
    the start of a line."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    s = s.replace("'", "\\(aq").replace("`", "\\(ga")
    if s.startswith("."):
        s = "\\&" + s
    return s


def fmt_synopsis(s):
    """Options and the program in bold, PLACEHOLDERS in italics."""
    out = []
    for tok in re.split(r"(\s+|[\[\]|])", s):
        if not tok:
            continue
        m = re.match(r"^(--?[A-Za-z][\w-]*)(.*)$", tok)
        if tok.startswith("pfnmap") or (out == [] and tok):
            out.append("\\fB%s\\fR" % esc(tok))
        elif m:
            out.append("\\fB%s\\fR%s" % (esc(m.group(1)), esc(m.group(2))))
        elif re.match(r"^[A-Z][A-Z_]*(\.\.\.)?$", tok):
            out.append("\\fI%s\\fR" % esc(tok))
        else:
            out.append(esc(tok))
    return "".join(out)


def fmt_term(term):
    forms, arg = option_forms(term)
    s = ", ".join("\\fB%s\\fR" % esc(f) for f in forms)
    if arg:
        s += " \\fI%s\\fR" % esc(arg)
    return s


def fmt_text(lines):
    """Item text: fill, with preformatted lines kept as they are."""
    out, pre = [], False
    for is_pre, text in lines:
        if is_pre != pre:
            out.append(".nf" if is_pre else ".fi")
            pre = is_pre
        out.append(esc(text))
    if pre:
        out.append(".fi")
    return out


def fmt_items(items, term_fmt):
    out = []
    for it in items:
        out += [".TP", term_fmt(it.term)]
        out += fmt_text(it.lines) if it.lines else ["\\&"]
    return out


def fmt_para(text):
    m = INLINE_HEADING.match(text)
    if m and not text.startswith(EXIT_STATUS):
        return [".SS %s" % esc(m.group(1)), esc(text[m.end():])]
    return [".PP", esc(text)]


def summary(h):
    """The first clause of the description, without parentheses:
    "trace the retry paths of ... and userfaultfd fills"."""
    text = next(b[1] for b in h.blocks if b[0] == "para")
    text = re.sub(r"\s*\([^)]*\)", "", text)
    text = re.split(r"[:.;]", text)[0].strip()
    return text[:1].lower() + text[1:]


SECTION_ORDER = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS",
                 "EXIT STATUS", "EXAMPLES", "OVERHEAD", "FILES",
                 "ENVIRONMENT", "NOTES", "SEE ALSO"]
REQUIRED = ["EXIT STATUS", "EXAMPLES", "OVERHEAD", "FILES"]


class Bench:
    """The tables of docs/bench.md: '### heading' -> rows of cells."""

    def __init__(self, path):
        self.tables = []
        self.path = path
        heading, rows = None, None
        try:
            text = open(path, encoding="utf-8").read()
        except OSError as e:
            die("cannot read %s: %s" % (path, e))
        m = re.search(r"\b(\d{4}-\d\d-\d\d)T\d\d:\d\d", text)
        self.date = m.group(1) if m else None
        for line in text.split("\n"):
            if re.match(r"^#{2,3} ", line):
                heading, rows = line.lstrip("#").strip(), None
            elif line.startswith("|") and heading:
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if rows is None:
                    rows = [cells]
                    self.tables.append((heading, rows))
                elif not all(re.match(r"^-+$", c) for c in cells):
                    rows.append(cells)
            elif not line.startswith("|"):
                rows = None

    def cell(self, table, row, column):
        """The cell; of a "median [min-max]" cell the median, of a
        "difference (noise)" cell the difference (bench.md says which
        differences are within noise; a man page quotes the median)."""
        for heading, rows in self.tables:
            if heading.startswith(table) and column in rows[0]:
                j = rows[0].index(column)
                for r in rows[1:]:
                    if r[0] == row and j < len(r):
                        v = re.sub(r"\s*\[.*\]$", "", r[j])
                        v = re.sub(r"\s*\(noise\)$", "", v)
                        return v.replace("*", "")
        die("%s: no table under a heading '%s...' with a column '%s' and "
            "a row '%s' (update the @bench{}@ of man/*.8.in)" %
            (self.path, table, column, row))


def read_mansrc(path, subst, bench):
    """NAME.8.in: {section: [roff lines]}."""
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        die("no %s: each command needs one (EXAMPLES, OVERHEAD, FILES)" % path)

    def sub(m):
        if m.group(0) == "@bench-date@" or m.group(1) is not None:
            if not bench:
                die("%s: @bench...@ needs --bench" % path)
        if m.group(0) == "@bench-date@":
            if not bench.date:
                die("%s: no date of the run" % bench.path)
            return bench.date
        if m.group(1) is not None:
            parts = m.group(1).split("|")
            if len(parts) != 3:
                die("%s: @bench{TABLE|ROW|COLUMN}@, not %r" % (path, m.group(0)))
            return esc(bench.cell(*parts))
        if m.group(2) not in subst:
            die("%s: no value for @%s@ (--set)" % (path, m.group(2)))
        return subst[m.group(2)]

    text = re.sub(r"@bench\{([^}]*)\}@|@([A-Z_]+)@|@bench-date@", sub, text)
    sections, cur = {}, None
    for line in text.split("\n"):
        if line.startswith(".\\\""):
            continue
        m = re.match(r'^\.SH "?([^"]*)"?$', line)
        if m:
            cur = m.group(1).strip()
            if cur not in SECTION_ORDER or cur in ("NAME", "SYNOPSIS", "OPTIONS"):
                die("%s: section %s is not for a .8.in file" % (path, cur))
            sections.setdefault(cur, [])
        elif cur:
            sections[cur].append(line)
        elif line.strip():
            die("%s: text before the first .SH" % path)
    for s in sections:
        while sections[s] and not sections[s][-1].strip():
            sections[s].pop()
    return sections


def man_page(prog, name, mansrc, subst, bench, date):
    """The roff of pfnmap.8 (name None) or pfnmap-NAME.8."""
    page = "pfnmap" if name is None else "pfnmap-" + name
    h = prog.main if name is None else prog.helps[name]
    extra = read_mansrc(os.path.join(mansrc, page + ".8.in"), subst, bench)
    one_line = dict(prog.commands).get(name) or summary(h)
    sec = {s: [] for s in SECTION_ORDER}
    sec["NAME"] = ["%s \\- %s" % (esc(page), esc(one_line))]
    syn = list(h.synopsis)
    if name is None:
        syn += [prog.inline[c] for c in prog.inline if prog.inline[c] not in syn]
    sec["SYNOPSIS"] = [".nf"] + [fmt_synopsis(s) for s in syn] + [".fi"]
    for kind, *rest in h.blocks:
        if kind == "para":
            sec["DESCRIPTION"] += fmt_para(rest[0])
        elif rest[0] == "Commands":
            for it in rest[1]:
                term = "\\fB%s\\fR" % esc(it.term)
                if it.term in prog.helps:
                    term += " (\\fBpfnmap\\-%s\\fR(8))" % esc(it.term)
                sec["COMMANDS"] += [".TP", term] + fmt_text(it.lines)
        elif rest[0] == "Examples":
            sec["EXAMPLES"] += [".nf", ".RS"]
            for it in rest[1]:
                sec["EXAMPLES"].append("\\fB%s\\fR" % esc(it.term))
                for _, t in it.lines:
                    sec["EXAMPLES"].append("    " + esc(t))
            sec["EXAMPLES"] += [".RE", ".fi"]
        else:
            sec["DESCRIPTION"] += [".SS %s" % esc(rest[0])]
            sec["DESCRIPTION"] += fmt_items(rest[1], esc)
    for it in h.options:
        forms, _ = option_forms(it.term)
        sec["OPTIONS"] += [".TP", fmt_term(it.term)]
        if "--help" in forms:
            sec["OPTIONS"].append("Print the help text and exit.")
        else:
            sec["OPTIONS"] += fmt_text(it.lines)
    if h.exit_status is None:
        die("pfnmap %s --help has no 'Exit status:' sentence" % (name or ""))
    sec["EXIT STATUS"] = [esc(h.exit_status[:1].upper() + h.exit_status[1:])]
    for s, lines in extra.items():
        if s == "EXAMPLES" and sec[s]:
            sec[s] += [".PP"]
        sec[s] += lines
    for s in REQUIRED:
        if not sec[s]:
            die("%s.8: no %s section (add it to %s.8.in)" % (page, s, page))
    pages = ["pfnmap"] + ["pfnmap-" + c for c in prog.helps]
    see = [p for p in pages if p != page]
    refs = [".BR %s (8)" % esc(p) for p in see]
    refs = [r + "," for r in refs]
    if not sec["SEE ALSO"]:
        refs[-1] = refs[-1][:-1]
    sec["SEE ALSO"] = refs + sec["SEE ALSO"]

    out = ["'\\\" t"] if any(".TS" in l for v in sec.values() for l in v) else []
    out += ['.\\" Generated by packaging/gen.py from `%s --help` and %s.8.in:'
           % (page.replace("-", " "), page),
           '.\\" do not edit.',
           '.TH %s 8 "%s" "pfnmap %s" "pfnmap manual"'
           % (esc(page.upper()), date, esc(prog.version)),
           ".nh"]
    for s in SECTION_ORDER:
        if sec[s]:
            out.append('.SH "%s"' % s if " " in s else ".SH %s" % s)
            out += sec[s]
    return "\n".join(out) + "\n"


def cmd_man(argv):
    if len(argv) < 3:
        die("usage: gen.py man PFNMAP MANSRC OUTDIR [--bench FILE] [--set N=V]...")
    path, mansrc, outdir = argv[:3]
    subst, bench = {}, None
    rest = argv[3:]
    while rest:
        if rest[0] == "--bench" and len(rest) > 1:
            bench = Bench(rest[1])
        elif rest[0] == "--set" and len(rest) > 1 and "=" in rest[1]:
            k, v = rest[1].split("=", 1)
            subst[k] = esc(v)
        else:
            die("unknown argument %r" % rest[0])
        rest = rest[2:]
    prog = Program(path)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
            if epoch else datetime.datetime.now(datetime.timezone.utc))
    date = when.strftime("%Y-%m-%d")
    want = {"pfnmap.8.in"} | {"pfnmap-%s.8.in" % c for c in prog.helps}
    have = {f for f in os.listdir(mansrc) if f.endswith(".8.in")}
    for f in sorted(have - want):
        die("%s/%s: pfnmap has no such command" % (mansrc, f))
    os.makedirs(outdir, exist_ok=True)
    for name in [None] + list(prog.helps):
        page = "pfnmap" if name is None else "pfnmap-" + name
        roff = man_page(prog, name, mansrc, subst, bench, date)
        with open(os.path.join(outdir, page + ".8"), "w", encoding="utf-8") as f:
            f.write(roff)


# ---- bash ------------------------------------------------------------------

# What the argument of an option or command is, by the placeholder --help
# gives it (values from --list-values come first).
ARG_ACTIONS = {
    "FILE": "_filedir", "OUT": "_filedir", "BASE": "_filedir",
    "NEW": "_filedir", "PATH": "_filedir -d", "PID": "_pids",
    "COMM": "_pnames",
}
# Placeholders of values nothing can complete (numbers, expressions).
ARG_FREE = {"S", "SECONDS", "N", "A", "P", "EXPR", "ADDR:PORT", "START,END"}


def words(ws):
    return "'%s'" % " ".join(ws)


def arg_action(prog, cmd, forms, arg):
    longs = [f for f in forms if f.startswith("--")]
    for key in [(cmd, l) for l in longs] + [("*", l) for l in longs]:
        if key in prog.values:
            vals = words(prog.values[key])
            if "[," in arg:     # a comma-separated list
                return "_pfnmap_list %s" % vals
            return "COMPREPLY=($(compgen -W %s -- \"$cur\"))" % vals
    if arg in ARG_ACTIONS:
        return ARG_ACTIONS[arg]
    if arg in ARG_FREE:
        return ":"
    die("pfnmap %s %s %s: no completion for %s (packaging/gen.py: "
        "ARG_ACTIONS or ARG_FREE)" % (cmd, forms[-1], arg, arg))


def positional(prog, cmd, usage):
    """What the arguments of `usage` (a usage line) are: a bash action."""
    rest = usage.split(None, 2)[2] if len(usage.split()) > 2 else ""
    rest = re.sub(r"\[?--?[a-z][\w-]*( [A-Z]+)?\]?", " ", rest)
    rest = rest.replace("[OPTIONS]", " ")
    m = re.search(r"\[?([a-z]+(?:\|[a-z]+)+)\]?", rest)
    if m:
        return "COMPREPLY=($(compgen -W %s -- \"$cur\"))" % \
            words(m.group(1).split("|"))
    for tok in re.findall(r"[A-Z]+", rest):
        if tok == "CMD":
            return "_pfnmap_command"
        if tok == "COMMAND":
            return "COMPREPLY=($(compgen -W \"$_pfnmap_cmds\" -- \"$cur\"))"
        if tok in ARG_ACTIONS:
            return ARG_ACTIONS[tok]
        if tok not in ARG_FREE | {"ARGS"}:
            die("pfnmap %s: no completion for argument %s (packaging/gen.py)"
                % (cmd, tok))
    return ":"


BASH_HEAD = r'''# bash completion for pfnmap(8) and pfnmap-top(8)          -*- shell-script -*-
#
# Generated by packaging/gen.py from `pfnmap --help`, `pfnmap COMMAND
# --help` and `pfnmap --list-values` (pfnmap %(version)s): do not edit.

_pfnmap_cmds=%(cmds)s

# A comma-separated list of $1's words (-k K[,K..]).
_pfnmap_list()
{
	local pre=${cur%%"${cur##*,}"}
	COMPREPLY=($(compgen -P "$pre" -W "$1" -- "${cur##*,}"))
}

# A command line from word $i on (stat -- CMD, record -- CMD).
_pfnmap_command()
{
	_command_offset "$i"
}

_pfnmap()
{
	local cur prev words cword split
	_init_completion -s || return

	local cmd='' i start=1 self=${words[0]##*/}
	if [[ $self == pfnmap-* ]]; then
		cmd=${self#pfnmap-}
	else
		for ((i = 1; i < cword; i++)); do
			if [[ ${words[i]} != -* ]]; then
				cmd=${words[i]} start=$((i + 1))
				break
			fi
		done
	fi
	if [[ -z $cmd && $cur == -* ]]; then
		COMPREPLY=($(compgen -W '%(main_opts)s' -- "$cur"))
		return
	elif [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$_pfnmap_cmds" -- "$cur"))
		return
	fi

	# options with an argument, options, the arguments
	local argopts opts args
	case $cmd in
'''

BASH_TAIL = r'''	*) return ;;
	esac

	# the words so far: a command line (after "--", or from the first
	# argument of stat and record), option values, arguments
	local n=0 dashdash=
	for ((i = start; i < cword; i++)); do
		if [[ -z $dashdash && ${words[i]} == -- ]]; then
			dashdash=1
			[[ $args == _pfnmap_command ]] && { ((i++)); _pfnmap_command; return; }
		elif [[ -z $dashdash && ${words[i]} == -* ]]; then
			:
		elif [[ -z $dashdash && " $argopts " == *" ${words[i - 1]} "* ]] &&
			((i > start)); then
			:
		elif [[ $args == _pfnmap_command ]]; then
			_pfnmap_command
			return
		else
			((n++))
		fi
	done
	if [[ -z $dashdash && " $argopts " == *" $prev "* ]] &&
		{ $split || ((cword > start)); }; then
		_pfnmap_arg "$cmd" "$prev"
		return
	fi
	$split && return
	if [[ -z $dashdash && $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# a word list (list [kinds|fields], help [COMMAND]) is one argument
	[[ $args == COMPREPLY=* ]] && ((n > 0)) && return
	eval "$args"
}

complete -F _pfnmap pfnmap pfnmap-top
# ex: filetype=sh
'''


def cmd_bash(argv):
    if len(argv) != 2:
        die("usage: gen.py bash PFNMAP OUT")
    path, out = argv
    prog = Program(path)
    cmds = [c for c, _ in prog.commands]
    main_opts = []
    for it in prog.main.options:
        main_opts += option_forms(it.term)[0]
    s = BASH_HEAD % {"version": prog.version, "cmds": words(cmds),
                     "main_opts": " ".join(main_opts)}
    argcase = []
    for c in cmds:
        if c in prog.inline:
            usages, options = [prog.inline[c]], []
        else:
            usages, options = prog.helps[c].synopsis, prog.helps[c].options
        argopts, opts, acts = [], [], []
        for it in options:
            forms, arg = option_forms(it.term)
            opts += [f for f in forms if f not in opts]
            if arg:
                argopts += forms
                acts.append((forms, arg_action(prog, c, forms, arg)))
        if c not in prog.inline:        # every command has -h, --help
            opts += [f for f in ("-h", "--help") if f not in opts]
        args = ":"
        for u in usages:
            a = positional(prog, c, u)
            if a != ":":
                args = a
        s += "\t%s)\n" % c
        s += "\t\targopts=%s\n" % words(argopts)
        s += "\t\topts=%s\n" % words(opts)
        s += "\t\targs=%s\n" % ("'%s'" % args.replace("'", "'\\''"))
        s += "\t\t;;\n"
        if acts:
            argcase.append("\t%s)\n\t\tcase $2 in\n" % c)
            for forms, act in acts:
                argcase.append("\t\t%s) %s ;;\n" % ("|".join(forms), act))
            argcase.append("\t\tesac\n\t\t;;\n")
    s += BASH_TAIL
    fn = ("\n# The value of option $2 of command $1.\n_pfnmap_arg()\n{\n"
          "\tcase $1 in\n" + "".join(argcase) + "\tesac\n}\n")
    s = s.replace("\ncomplete -F", fn + "\ncomplete -F")
    with open(out, "w", encoding="utf-8") as f:
        f.write(s)


def main(argv):
    if len(argv) < 2 or argv[1] not in ("man", "bash"):
        die("usage: gen.py man|bash ... (see its head)")
    (cmd_man if argv[1] == "man" else cmd_bash)(argv[2:])


if __name__ == "__main__":
    main(sys.argv)
