// ApacheHost.disableSites switches off only what a2ensite made, so destroy can put back exactly that.
import { describe, expect, it } from "vitest";
import { siteFile, siteLink, whyNotDisable } from "../../provider/resources/apacheHost/sites";

describe("disableSites refuses what it could not put back", () => {
    const site = "shop";
    it("accepts a2ensite's link to the site's own sites-available file", () => {
        expect(whyNotDisable([site], ["<text>", "<text>"], [{ link: siteFile(site) }, {}])).toBeUndefined();
    });
    it("refuses a plain file in sites-enabled (removing it would delete it)", () => {
        expect(whyNotDisable([site], ["<text>", undefined], [{ mode: "root:root 644" }, {}])).toMatch(
            /^ApacheHost\.disableSites: \/etc\/apache2\/sites-enabled\/shop\.conf is a file, not a link/,
        );
    });
    it("refuses a link to another file, and a site that is not enabled", () => {
        expect(whyNotDisable([site], ["<text>", "<text>"], [{ link: "/srv/elsewhere.conf" }, {}])).toMatch(
            /links to \/srv\/elsewhere\.conf, not to \/etc\/apache2\/sites-available\/shop\.conf/,
        );
        expect(whyNotDisable([site], [undefined, "<text>"], [{}, {}])).toMatch(/"shop" is not enabled/);
    });
    it("names the right site among several", () => {
        const why = whyNotDisable(["a", "b"], ["x", "x", "x", "x"], [{ link: siteFile("a") }, {}, {}, {}]);
        expect(why).toContain(siteLink("b"));
    });
});
