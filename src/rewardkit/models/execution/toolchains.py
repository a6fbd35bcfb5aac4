"""JavaScript, C++ and Java: the response's code and the toolchain that runs it (node, g++, the
JDK's single-file launcher), on the same examples as Python (HumanEvalPack writes its doctests in
every language's call syntax).

A response gives a whole function (a fenced block or bare code that defines it) or, as in
HumanEvalPack, a body that continues the signature the prompt states (``const f = (x)``,
``bool f(vector<int> x)``, ``public boolean f(List<Integer> x)`` inside ``class Solution``).
The harness calls the function on each example and prints the result as JSON on a line marked
with the run's nonce; the comparison with the written value is made here (`examples.same`), so
``(0, 1)``, ``{0, 1}`` and ``[0, 1]`` all read as a list, and Java's ``Optional[a]`` is compared
with what Java prints.

When the program does not build: if the response's code alone builds, the examples are what the
harness cannot express (a return type it cannot print, a notation it misreads) and the scorer
abstains; if the code itself is broken, every example fails, except when the code was a bare
response wrapped under the signature (prose is not a broken program), which abstains too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

from rewardkit.errors import RewardkitError
from rewardkit.models.execution.examples import FENCE, UNREADABLE, Check, loose_value, same
from rewardkit.models.execution.process import launched, limits, marked, new_mark, run

COMPILE_TIMEOUT = 60.0  # seconds for g++ or javac on one program (a loaded CPU is slow)


@dataclass(frozen=True)
class Program:
    """The code that will run: the response's, under the prompt's signature when it was a body.
    `bare`: it is a whole unfenced response wrapped under the signature, which may be prose."""

    code: str
    bare: bool


def _closed(code: str) -> str:
    """`code` with the braces a body leaves open closed (a body that stops before its last ``}``)."""
    return code + "\n}" * max(0, code.count("{") - code.count("}"))


class Toolchain:
    """What a language needs to run a response on examples; subclasses fill in the language."""

    name = ""
    fences: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    braces_are_lists = False

    def __init__(self) -> None:
        missing = [t for t in self.tools if shutil.which(t) is None]
        if missing:
            raise RewardkitError(f"exec:{self.name} needs {', '.join(missing)} on PATH to run {self.name} code; "
                                 "install the toolchain, or leave this member out")
        self.paths = {t: shutil.which(t) or t for t in self.tools}

    def readable(self, expected: str) -> bool:
        return loose_value(expected, self.braces_are_lists) is not UNREADABLE

    def defines(self, code: str, name: str) -> bool:
        raise NotImplementedError

    def opening(self, prompt: str, name: str) -> str | None:
        """The code a body continues: the prompt's signature, opened."""
        raise NotImplementedError

    def program(self, prompt: str, response: str, name: str) -> Program | None:
        """The response's code to run for the function `name`, or None when there is none."""
        blocks = [b for lang, b in FENCE.findall(response) if lang.lower() in ("",) + self.fences]
        code = "\n".join(b.rstrip() for b in blocks) if blocks else response
        if not code.strip():
            return None
        if self.defines(code, name):
            return Program(code, bare=False)
        opening = self.opening(prompt, name)
        if opening is None:
            return None
        return Program(_closed(f"{opening}\n{code.rstrip()}"), bare=not blocks)

    def run(self, program: Program, checks: Sequence[Check], timeout: float) -> list[bool] | None:
        """Whether each example returns its value; None to abstain (see the module docstring)."""
        raise NotImplementedError

    def verdicts(self, payloads: list[str], checks: Sequence[Check]) -> list[bool] | None:
        """Each example's verdict from the harness's marked lines ``<i> R <json>``, ``<i> T
        <text>``, ``<i> E`` (it raised), ``<i> X`` (the example itself does not compile: left
        out), ``<i> V <json>`` (the expected value as the language reads it). More lines than the harness prints fail every example (forged verdicts); None when
        every example was left out."""
        results: dict[int, dict[str, str]] = {}
        for payload in payloads:
            index, _, rest = payload.partition(" ")
            kind, _, value = rest.partition(" ")
            if not index.isdigit() or int(index) >= len(checks) or kind in results.setdefault(int(index), {}):
                return [False] * len(checks)
            results[int(index)][kind] = value
        out = []
        for i, check in enumerate(checks):
            got = results.get(i, {})
            if "X" in got:
                continue
            out.append(self.matches(got, check.expected))
        return out or None

    def matches(self, got: dict[str, str], expected: str) -> bool:
        """Whether the returned value (``R``, JSON) equals the expected one, read as
        `loose_value` reads it or as the language reads it (``V``, JSON: HumanEvalPack's
        JavaScript writes Python's ``(0, 1)``, a list to its readers and the comma operator's
        ``1`` to node, and its tests compare with either); or whether what the language prints
        for it (``T``) is the written text."""
        if "R" not in got or "E" in got:
            return False
        try:
            value = json.loads(got["R"])
            wanted = [loose_value(expected, self.braces_are_lists)] + ([json.loads(got["V"])] if "V" in got else [])
        except ValueError:
            return False
        if isinstance(value, dict):  # a map written as its pairs, C++'s {{'a', 1}}: JSON's keys are strings
            wanted = [{str(k): v for k, v in w} if isinstance(w, list) and all(isinstance(p, list) and len(p) == 2 for p in w)
                      else w for w in wanted]
        if any(w is not UNREADABLE and same(value, w, strict_sequences=False) for w in wanted):
            return True
        return "T" in got and " ".join(got["T"].split()) == " ".join(expected.split())


# -- JavaScript ---------------------------------------------------------------------------------

_JS_HARNESS = r"""
const vm = require('vm');
const job = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const put = (line) => process.stdout.write(job.mark + line + '\n');
let script;
try { script = new vm.Script(job.code); } catch (e) { put('S'); process.exit(0); }
const context = vm.createContext({console: {log() {}, error() {}, warn() {}, info() {}}});
try { script.runInContext(context); } catch (e) { }  // a failing demo does not stop the examples
job.checks.forEach((call, i) => {
  let expr;
  try { expr = new vm.Script('(' + call + ')'); } catch (e) { put(i + ' X'); return; }
  try {
    const value = expr.runInContext(context);
    const text = JSON.stringify(value === undefined ? null : value);
    put(i + ' R ' + (text === undefined ? 'null' : text));
  } catch (e) { put(i + ' E'); }
});
// the written values, read as JavaScript reads them (also compared as written: Toolchain.matches)
const clean = vm.createContext({});
job.expected.forEach((text, i) => {
  try {
    const value = new vm.Script('(' + text + ')').runInContext(clean, {timeout: 1000});
    const json = JSON.stringify(value === undefined ? null : value);
    if (json !== undefined) put(i + ' V ' + json);
  } catch (e) { }
});
"""


class JavaScript(Toolchain):
    name, fences, tools = "javascript", ("javascript", "js", "node"), ("node",)

    def defines(self, code: str, name: str) -> bool:
        # at the start of a line: a body's own `let f = 1` is not the function
        n = re.escape(name)
        return re.search(rf"^(?:export\s+)?(?:(?:async\s+)?function\s+{n}\s*\(|(?:const|let|var)\s+{n}\s*=)", code, re.MULTILINE) is not None

    def opening(self, prompt: str, name: str) -> str | None:
        n = re.escape(name)
        m = re.search(rf"`((?:const|let|var)\s+{n}\s*=\s*(?:async\s*)?\([^`\n]*\))\s*(?:=>\s*)?`", prompt)
        if m:
            return f"{m.group(1)} => {{"
        m = re.search(rf"`((?:async\s+)?function\s+{n}\s*\([^`\n]*\))\s*`", prompt)
        return f"{m.group(1)} {{" if m else None

    def run(self, program: Program, checks: Sequence[Check], timeout: float) -> list[bool] | None:
        mark = new_mark()
        job = json.dumps({"code": program.code, "checks": [c.call for c in checks], "expected": [c.expected for c in checks], "mark": mark})
        argv = [self.paths["node"], "--max-old-space-size=512", "-e", _JS_HARNESS]
        with tempfile.TemporaryDirectory(prefix="rewardkit-exec-") as cwd:
            _, stdout = run(launched(argv, limits(timeout, memory=None, children=True)), cwd, timeout, stdin=job)
        payloads = marked(stdout, mark)
        if payloads[:1] == ["S"]:
            return None if program.bare else [False] * len(checks)
        return self.verdicts(payloads, checks)


# -- C++ and Java: built, then run ------------------------------------------------------------


class Compiled(Toolchain):
    """A language whose program is built before it runs; a build that fails is sorted out by
    building the response's code without the examples (the module docstring)."""

    def sources(self, program: Program, checks: Sequence[Check] | None) -> str:
        raise NotImplementedError

    def build_and_run(self, source: str, cwd: str, mark: str, timeout: float) -> tuple[bool, str]:
        """Whether `source` built, and the run's stdout."""
        raise NotImplementedError

    def run(self, program: Program, checks: Sequence[Check], timeout: float) -> list[bool] | None:
        mark = new_mark()
        with tempfile.TemporaryDirectory(prefix="rewardkit-exec-") as cwd:
            built, stdout = self.build_and_run(self.sources(program, checks), cwd, mark, timeout)
            if built:
                return self.verdicts([p for p in marked(stdout, mark) if p != "B"], checks)
            alone, _ = self.build_and_run(self.sources(program, None), cwd, mark, timeout)
        if alone or program.bare:
            return None
        return [False] * len(checks)


def _hoisted(code: str, pattern: str) -> tuple[str, str]:
    """`code`'s lines matching `pattern` (includes, imports), and the rest."""
    lines = code.splitlines()
    top = [ln for ln in lines if re.match(pattern, ln)]
    return "\n".join(top), "\n".join(ln for ln in lines if not re.match(pattern, ln))


_CPP_JSON = r"""
namespace rewardkit_exec {
void json(std::ostream& o, bool v);
void json(std::ostream& o, double v);
void json(std::ostream& o, const std::string& v);
void json(std::ostream& o, const char* v);
void json(std::ostream& o, char v);
template <class T> typename std::enable_if<std::is_integral<T>::value>::type json(std::ostream& o, T v);
template <class T> void json(std::ostream& o, const std::vector<T>& v);
template <class A, class B> void json(std::ostream& o, const std::pair<A, B>& v);
template <class K, class V> void json(std::ostream& o, const std::map<K, V>& v);
void json(std::ostream& o, bool v) { o << (v ? "true" : "false"); }
void json(std::ostream& o, double v) { if (std::isfinite(v)) o << std::setprecision(17) << v; else o << "null"; }
void json(std::ostream& o, const std::string& v) {
  o << '"';
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') o << '\\' << c;
    else if (c < 0x20) { char buf[8]; std::snprintf(buf, sizeof buf, "\\u%04x", c); o << buf; }
    else o << c;
  }
  o << '"';
}
void json(std::ostream& o, const char* v) { json(o, std::string(v)); }
void json(std::ostream& o, char v) { json(o, std::string(1, v)); }
template <class T> typename std::enable_if<std::is_integral<T>::value>::type json(std::ostream& o, T v) { o << +v; }
template <class T> void json(std::ostream& o, const std::vector<T>& v) {
  o << '[';
  for (size_t i = 0; i < v.size(); ++i) { if (i) o << ','; json(o, static_cast<T>(v[i])); }
  o << ']';
}
template <class A, class B> void json(std::ostream& o, const std::pair<A, B>& v) { o << '['; json(o, v.first); o << ','; json(o, v.second); o << ']'; }
template <class K, class V> void json(std::ostream& o, const std::map<K, V>& v) {
  o << '{'; bool first = true;
  for (const auto& kv : v) { if (!first) o << ','; first = false; std::ostringstream k; json(k, kv.first); std::string s = k.str();
    if (s.empty() || s[0] != '"') s = "\"" + s + "\""; o << s << ':'; json(o, kv.second); }
  o << '}';
}
}
"""


class Cpp(Compiled):
    name, fences, tools, braces_are_lists = "cpp", ("cpp", "c++", "cxx", "cc"), ("g++",), True

    def defines(self, code: str, name: str) -> bool:
        return re.search(rf"[\w>*&\]]\s+{re.escape(name)}\s*\([^;{{]*\)\s*(?:const\s*)?\{{", code) is not None

    def opening(self, prompt: str, name: str) -> str | None:
        m = re.search(rf"`([^`\n]*[\w>*&]\s*\b{re.escape(name)}\s*\([^`\n]*\))\s*`", prompt)
        return f"{m.group(1)}{{" if m else None

    def sources(self, program: Program, checks: Sequence[Check] | None) -> str:
        includes, code = _hoisted(program.code, r"\s*#\s*include\b")
        body = []
        for i, check in enumerate(checks or []):
            body.append(f"  try {{ std::ostringstream o; rewardkit_exec::json(o, ({check.call})); "
                        f"std::cout << mark << \"{i} R \" << o.str() << std::endl; }} "
                        f"catch (...) {{ std::cout << mark << \"{i} E\" << std::endl; }}")
        main = "int main(int argc, char** argv) {\n  const std::string mark = argc > 1 ? argv[1] : \"\";\n" + "\n".join(body) + "\n  return 0;\n}\n"
        # an answer's own main (a demo) is renamed out of the way of the harness's
        return (f"#include <bits/stdc++.h>\n{includes}\nusing namespace std;\n#define main rewardkit_answer_main\n{code}\n#undef main\n"
                f"{_CPP_JSON if checks else ''}\n{main}")

    def build_and_run(self, source: str, cwd: str, mark: str, timeout: float) -> tuple[bool, str]:
        with open(os.path.join(cwd, "main.cpp"), "w", encoding="utf-8") as f:
            f.write(source)
        path = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        code, _ = run([self.paths["g++"], "-std=c++17", "-O0", "-w", "main.cpp", "-o", "main"], cwd, COMPILE_TIMEOUT, env=path)
        if code != 0:
            return False, ""
        _, stdout = run(launched([os.path.join(cwd, "main"), mark], limits(timeout)), cwd, timeout)
        return True, stdout


_JAVA_MAIN = r"""
public class RewardkitMain {
    static String mark;
    static void put(int i, String kind, String value) {
        System.out.println(mark + i + " " + kind + (value == null ? "" : " " + value.replace("\r", " ").replace("\n", " ")));
    }
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
    static String json(Object o) {
        if (o == null) return "null";
        if (o instanceof java.util.Optional) return ((java.util.Optional<?>) o).map(RewardkitMain::json).orElse("null");
        if (o instanceof Double || o instanceof Float) {
            double d = ((Number) o).doubleValue();
            return Double.isFinite(d) ? Double.toString(d) : "null";
        }
        if (o instanceof Number || o instanceof Boolean) return o.toString();
        if (o instanceof java.util.Map) {
            StringBuilder b = new StringBuilder("{");
            for (java.util.Map.Entry<?, ?> e : ((java.util.Map<?, ?>) o).entrySet()) {
                if (b.length() > 1) b.append(',');
                b.append(quote(String.valueOf(e.getKey()))).append(':').append(json(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof Iterable) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : (Iterable<?>) o) { if (b.length() > 1) b.append(','); b.append(json(x)); }
            return b.append(']').toString();
        }
        if (o.getClass().isArray()) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < java.lang.reflect.Array.getLength(o); i++) {
                if (i > 0) b.append(',');
                b.append(json(java.lang.reflect.Array.get(o, i)));
            }
            return b.append(']').toString();
        }
        return quote(o.toString());
    }
    static void result(int i, Object o) { put(i, "R", json(o)); put(i, "T", String.valueOf(o)); }
    public static void main(String[] args) {
        mark = args.length > 0 ? args[0] : "";
        System.out.println(mark + "B");  // built: javac found no error
        new Checks().run();
    }
}
"""
_JAVA_IMPORTS = ("import java.util.*;\nimport java.util.stream.*;\nimport java.util.function.*;\nimport java.math.*;\n"
                 "import java.security.*;\n")


class Java(Compiled):
    name, fences, tools = "java", ("java",), ("java",)

    def readable(self, expected: str) -> bool:
        return super().readable(expected) or re.fullmatch(r"Optional(\.empty|\[.*\])", expected.strip()) is not None

    def defines(self, code: str, name: str) -> bool:
        return re.search(rf"\bclass\s+Solution\b[\s\S]*[\w>\]]\s+{re.escape(name)}\s*\([^;{{]*\)\s*(?:throws[^{{]*)?\{{", code) is not None

    def opening(self, prompt: str, name: str) -> str | None:
        m = re.search(rf"`([^`\n]*[\w>\]]\s+{re.escape(name)}\s*\([^`\n]*\))\s*`", prompt)
        return f"class Solution {{\n    {m.group(1)} {{" if m else None

    def sources(self, program: Program, checks: Sequence[Check] | None) -> str:
        imports, code = _hoisted(program.code, r"\s*import\s+[\w.*\s]+;\s*$")
        code = re.sub(r"^\s*package\s+[\w.]+\s*;\s*$", "", code, flags=re.MULTILINE)  # one file, no package
        body = [f"        try {{ RewardkitMain.result({i}, (Object) ({check.call})); }} catch (Throwable t) {{ RewardkitMain.put({i}, \"E\", null); }}"
                for i, check in enumerate(checks or [])]
        checks_class = "class Checks extends Solution {\n    void run() {\n" + "\n".join(body) + "\n    }\n}\n"
        return f"{_JAVA_IMPORTS}{imports}\n{_JAVA_MAIN}\n{code}\n{checks_class}"

    def build_and_run(self, source: str, cwd: str, mark: str, timeout: float) -> tuple[bool, str]:
        # the launcher runs the file's first class and, unlike javac, does not ask a public class to
        # match the file's name: an answer with a `public class Main` of its own still builds
        with open(os.path.join(cwd, "RewardkitMain.java"), "w", encoding="utf-8") as f:
            f.write(source)
        argv = [self.paths["java"], "-Xmx256m", "-Xss16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "RewardkitMain.java", mark]
        seconds = COMPILE_TIMEOUT + timeout
        _, stdout = run(launched(argv, limits(seconds, memory=None, children=True)), cwd, seconds)
        return "B" in marked(stdout, mark), stdout


TOOLCHAINS: dict[str, type[Toolchain]] = {"javascript": JavaScript, "js": JavaScript, "cpp": Cpp, "c++": Cpp, "java": Java}
