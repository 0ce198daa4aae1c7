import { describe, expect, it } from "vitest";
import { directive, option, word, words, wsgiDirective } from "../../provider/apache";

describe("apache words", () => {
    it("leaves safe words bare", () => {
        expect(word("display-name=%{GROUP}")).toBe("display-name=%{GROUP}");
        expect(word("/opt/modwsgi/envs/hello")).toBe("/opt/modwsgi/envs/hello");
    });

    it("quotes spaces, quotes and backslashes so Apache reads one word back", () => {
        expect(word('a "b" c')).toBe('"a \\"b\\" c"');
        expect(words(`X ${word('a "b" c')} ${word("back\\slash x")} ${word("")}`)).toEqual([
            "X",
            'a "b" c',
            "back\\slash x",
            "",
        ]);
    });

    it("reads quoted words as ap_getword_conf does: only \\\\ and the quote are escapes", () => {
        expect(words(`A "x\\y" 'it\\'s' "a\\\\b"`)).toEqual(["A", "x\\y", "it's", "a\\b"]);
    });

    it("refuses control characters (a newline would start a new directive)", () => {
        expect(() => word("a\nWSGIDaemonProcess evil")).toThrow(/control character/);
    });

    it('writes mod_wsgi options as name=value with only the value quoted (mod_wsgi rejects a quoted "name=value")', () => {
        expect(option("display-name", "my app")).toBe('display-name="my app"');
        expect(option("threads", 5)).toBe("threads=5");
    });

    it("reads mod_wsgi options the way mod_wsgi does", () => {
        const text = '# comment\n  WSGIDaemonProcess hello threads=5 display-name="my \\"app\\"" home=/srv\n';
        const d = wsgiDirective(text, "WSGIDaemonProcess", 1)!;
        expect(d.args).toEqual(["hello"]);
        expect([...d.options]).toEqual([
            ["threads", "5"],
            ["display-name", 'my "app"'],
            ["home", "/srv"],
        ]);
        expect(wsgiDirective(text, "WSGIScriptAlias", 2)).toBeUndefined();
        expect(directive("LoadModule wsgi_module /x/y.so\n", "LoadModule")).toEqual(["wsgi_module", "/x/y.so"]);
    });

    it("keeps a word that is not name=value visible, so a hand edit shows as drift", () => {
        const d = wsgiDirective('WSGIDaemonProcess g threads=5 "quoted=whole"', "WSGIDaemonProcess", 1)!;
        expect(d.options.get("threads")).toBe("5");
        expect(d.options.size).toBe(2);
    });
});
