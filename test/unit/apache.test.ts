import { describe, expect, it } from "vitest";
import { word, words, directive, options } from "../../provider/apache";

describe("apache words", () => {
    it("leaves safe words bare", () => {
        expect(word("display-name=%{GROUP}")).toBe("display-name=%{GROUP}");
        expect(word("/opt/modwsgi/envs/hello")).toBe("/opt/modwsgi/envs/hello");
    });

    it("quotes spaces and quotes so Apache reads one word", () => {
        expect(word('a "b" c')).toBe('"a \\"b\\" c"');
        expect(words(`X ${word('a "b" c')} ${word("back\\slash x")}`)).toEqual(["X", 'a "b" c', "back\\slash x"]);
    });

    it("refuses control characters (a newline would start a new directive)", () => {
        expect(() => word("a\nWSGIDaemonProcess evil")).toThrow(/control character/);
    });

    it("finds a directive and its key=value options", () => {
        const text = "# comment\n  WSGIDaemonProcess hello threads=5 \"display-name=%{GROUP}\"\n";
        const args = directive(text, "WSGIDaemonProcess")!;
        expect(args[0]).toBe("hello");
        expect(options(args.slice(1)).get("display-name")).toBe("%{GROUP}");
        expect(directive(text, "WSGIScriptAlias")).toBeUndefined();
    });
});
