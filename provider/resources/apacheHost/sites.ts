// ApacheHost.disableSites: hand-written sites switched off once this stack's resources replace them. Only their
// sites-enabled links are touched (a2dissite's job); the files in sites-available stay the owner's.
import type { Change } from "../../remote/apply";
import type { FileMeta } from "../../remote/scripts";
import { APACHE_DIR, SITES_ENABLED } from "../../layout";

/** The file name a2ensite gives a site: `myapp` and `myapp.conf` are the same site. */
const fileName = (site: string) => (site.endsWith(".conf") ? site : `${site}.conf`);
export const siteLink = (site: string) => `${SITES_ENABLED}/${fileName(site)}`;
export const siteFile = (site: string) => `${APACHE_DIR}/sites-available/${fileName(site)}`;

/** Paths Read looks at per site: its sites-enabled entry, then its sites-available file. */
export const sitePaths = (sites: string[]) => sites.flatMap((s) => [siteLink(s), siteFile(s)]);

/** Whether readFiles found an entry (a file, or a link even when it dangles). */
const present = (file: string | undefined, meta: FileMeta | undefined) => file !== undefined || !!meta?.link;

/** The sites of `sites` still switched off, from readFiles's answer for sitePaths(sites) starting at `at`. */
export function stillDisabled(sites: string[], files: (string | undefined)[], meta: FileMeta[], at: number): string[] {
    return sites.filter((_s, n) => !present(files[at + 2 * n], meta[at + 2 * n]));
}

/** The sites of `sites` whose sites-available file is there (so enabling them again can pass the configtest). */
export function available(sites: string[], files: (string | undefined)[], at: number): string[] {
    return sites.filter((_s, n) => files[at + 2 * n + 1] !== undefined);
}

/** Changes that switch `off` off and enable `on` again (a link as a2ensite makes, to the sites-available file). */
export function siteChanges(off: string[], on: string[]): Change[] {
    return [
        ...off.map((s): Change => ({ op: "del", target: siteLink(s) })),
        ...on.map((s): Change => ({ op: "link", target: siteFile(s), link: siteLink(s) })),
    ];
}

/**
 * Why a site newly listed in disableSites cannot be switched off safely, or undefined. Only a link that a2ensite
 * made (to the site's own sites-available file) is removed: a plain file in sites-enabled would be gone for good,
 * a link elsewhere could not be put back as it was, and a site that is not enabled must not be enabled by destroy.
 */
export function whyNotDisable(sites: string[], files: (string | undefined)[], meta: FileMeta[]): string | undefined {
    for (const [n, site] of sites.entries()) {
        const entry = meta[2 * n];
        if (!present(files[2 * n], entry))
            return (
                `ApacheHost.disableSites: site "${site}" is not enabled (no ${siteLink(site)}): ` +
                "nothing to switch off"
            );
        if (!entry?.link)
            return (
                `ApacheHost.disableSites: ${siteLink(site)} is a file, not a link: switching it off would delete it. ` +
                `Move it to ${siteFile(site)} and run a2ensite ${site}, then run up again`
            );
        if (entry.link !== siteFile(site))
            return `ApacheHost.disableSites: ${siteLink(site)} links to ${entry.link}, not to ${siteFile(site)}`;
    }
    return undefined;
}
