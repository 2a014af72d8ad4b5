"""The SuperCollider programs that drive sclang, and how Python text becomes SC literals.

The driver (:data:`_DRIVER`) is loaded once per sclang process. It defines one function in
``topEnvironment`` under a random key; each request is a single short stdin line calling it with
the path of a file holding the code (stdin lines over 8 KB are mangled) and the path to write
the answer to. It compiles the code with ``thisProcess.interpreter.compile`` (``nil`` means a
syntax error, whose message sclang posts), evaluates it inside ``try`` in a fresh
``Environment`` and writes its answer to a file; output lines it prints carry the process's
random tag. :data:`_BATCH` is the program that compiles many SynthDefs in one request.
"""

from __future__ import annotations

from typing import Final

from audiomancer.errors import SynthDefError

# The driver is loaded once per process. It defines one function in topEnvironment under a
# random key; each request is a single line calling it. PREFIX and KEY are filled in by Python.
_DRIVER: Final = r"""
var prefix = "@PREFIX@";
var collected = nil;
var say, esc, num, errorText, field, formatEvent, defsOf, writeDefs, describe, ops, fresh;
// Each request starts with the interpreter variables a-z as a new sclang has them (s the
// default server, the rest nil): code that sets `b` must not change what later code reads.
fresh = { thisProcess.interpreter.clearAll.s_(Server.default) };
say = { |id, what| (prefix ++ id ++ " " ++ what).postln };
esc = { |x|
    x.asString.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
};
num = { |x| x.asFloat.asStringPrec(17) };
errorText = { |e|
    var text = if(e.respondsTo(\errorString)) { e.errorString } {
        "a non-Error object was thrown: " ++ e.asString
    };
    if(text.beginsWith("ERROR: ")) { text = text.copyToEnd(7) };
    text
};
describe = { |x| var s = x.asString; if(s.size > 80) { s.keep(77) ++ "..." } { s } };
field = { |key, x|
    if(x.isKindOf(Rest)) { x = x.dur };
    case
    { x.isKindOf(SimpleNumber) } { key ++ "=n" ++ num.(x) }
    { x.isKindOf(Symbol) or: { x.isString } } { key ++ "=s" ++ esc.(x) }
    { x.isArray and: { x.notEmpty } and: {
        x.every { |y| y.isKindOf(SimpleNumber) or: { y.isKindOf(Rest) } } } } {
        key ++ "=a" ++ x.collect { |y| num.(if(y.isKindOf(Rest)) { y.dur } { y }) }.join(",")
    }
    { nil }
};
formatEvent = { |ev|
    var parts = List.new, rest = ev.isRest;
    var main = #[\dur, \delta, \sustain, \midinote, \amp, \instrument];
    parts.add(field.("rest", if(rest) { 1 } { 0 }));
    parts.add(field.("delta", ev.delta));
    ev.use {
        parts.add(field.("dur", ~dur.value));
        parts.add(field.("sustain", ~sustain.value));
        parts.add(field.("amp", ~amp.value));
        parts.add(field.("instrument", ~instrument));
        if(rest.not) { parts.add(field.("midinote", ~midinote.value)) };
    };
    ev.keysValuesDo { |key, value|
        var name = key.asString;
        if(main.includes(key).not and: { name.includes($=).not } and: {
            name.includes($\t).not } and: { name.includes($\n).not }) {
            parts.add(field.("x:" ++ name, value))
        }
    };
    parts.reject(_.isNil).join("\t")
};
defsOf = { |result|
    var defs = collected.asArray;
    if(result.isKindOf(SynthDef) and: { defs.includes(result).not }) { defs = defs.add(result) };
    defs
};
writeDefs = { |defs, outPath|
    defs.do { |def, i|
        var bytes = def.asBytes;
        File.use(outPath ++ "." ++ i ++ ".scgf", "wb", { |f| f.putAll(bytes) })
    };
    defs.size.asString
};
ops = IdentityDictionary[
    \validate -> { |result| defsOf.(result).do { |def| def.asBytes }; "" },
    \evaluate -> { |result| result.asCompileString },
    \synthdef -> { |result, outPath|
        var def = case
        { result.isKindOf(SynthDef) } { result }
        { collected.size == 1 } { collected[0] }
        { nil };
        if(def.isNil) {
            Error(
                if(collected.isEmpty) {
                    "the code evaluates to %, not a SynthDef".format(describe.(result))
                } {
                    "the code creates % SynthDefs (%) and evaluates to %, not one SynthDef"
                    .format(collected.size, collected.collect(_.name).join(", "),
                        describe.(result))
                }
            ).throw
        };
        writeDefs.([def], outPath)
    },
    \synthdefs -> { |result, outPath|
        var defs = defsOf.(result);
        if(defs.isEmpty) {
            Error("the code creates no SynthDef (it evaluates to %)".format(describe.(result)))
            .throw
        };
        writeDefs.(defs, outPath)
    },
    \pbind -> { |result, outPath, limit|
        var stream, ev, lines = List.new, count = 0;
        if(result.isKindOf(Pattern).not and: { result.isKindOf(Stream).not }) {
            Error("the code evaluates to %, not a pattern".format(describe.(result))).throw
        };
        stream = result.asStream;
        while { count < limit and: { ev = stream.next(Event.default); ev.notNil } } {
            if(ev.isKindOf(Event).not) {
                Error("the pattern yields %, not an event".format(describe.(ev))).throw
            };
            lines.add(formatEvent.(ev));
            count = count + 1;
        };
        lines.join("\n")
    }
];
SynthDef.addDependant({ |who, what, def|
    if(what == \synthDefReady and: { collected.notNil }) { collected.add(def) }
});
topEnvironment.put(\@KEY@, { |id, op, codePath, outPath, limit|
    var status = "ok", text = "", result, fn;
    collected = List.new;
    say.(id, "begin");
    protect {
        fresh.value;
        fn = thisProcess.interpreter.compile(File.readAllString(codePath));
        if(fn.isNil) { status = "syntax" } {
            try {
                Environment.new.use { result = fn.value };
                text = ops[op].value(result, outPath, limit);
            } { |e| status = "build"; text = errorText.(e) };
        };
        File.use(outPath, "w", { |f| f.write(status ++ "\n" ++ text) });
    } {
        collected = nil;
        say.(id, "end");
    };
    nil
});
say.("", "ready");
"""


def _sc_string(text: str) -> str:
    """A SuperCollider string literal for text (used for our own file paths)."""
    if any(c in text for c in "\n\r\0"):
        raise ValueError(f"cannot pass {text!r} to sclang: it holds a line break")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_BATCH: Final = r"""
var found = List.new, statuses = List.new;
var hook = { |who, what, def| if(what == \synthDefReady) { found.add(def) } };
SynthDef.addDependant(hook);
protect {
    [@SOURCES@].do { |src, i|
        var mark = found.size, fn, result, def, made;
        thisProcess.interpreter.clearAll.s_(Server.default);  // as the driver's `fresh`
        fn = thisProcess.interpreter.compile(src);
        if(fn.isNil) { statuses.add("syntax error") } {
            try {
                Environment.new.use { result = fn.value };
                made = found.copyToEnd(mark);
                def = case { result.isKindOf(SynthDef) } { result } { made.size == 1 } { made[0] };
                if(def.isNil) {
                    statuses.add("the code creates % SynthDefs, not one".format(made.size))
                } {
                    File.use([@OUTPUTS@][i], "wb", { |f| f.putAll(def.asBytes) });
                    statuses.add("ok")
                }
            } { |e|
                var text = if(e.respondsTo(\errorString)) { e.errorString } { e.asString };
                statuses.add(if(text.beginsWith("ERROR: ")) { text.copyToEnd(7) } { text })
            }
        }
    };
} { SynthDef.removeDependant(hook) };
statuses.asArray
"""


def _sc_code_literal(code: str) -> str:
    """SuperCollider code as a string literal (line breaks may stay: sclang strings span
    lines)."""
    if "\0" in code:
        raise SynthDefError("the code holds a NUL character")
    return '"' + code.replace("\\", "\\\\").replace('"', '\\"') + '"'
