// Ownership across stacks: the host records which stack owns each claim (a daemon group's name, an app's name and
// URL, a vhost, the module, ...; the resources' own `claims`), so a stack cannot take over, rewrite or delete what
// another stack created. Import is the way to take a resource over. Records: native/own.sh, in OWNERS_DIR.
import { createHash } from "node:crypto";
import { OWNERS_DIR } from "./layout";
import { runScript } from "./remote/scripts";
import type { RemoteHost } from "./remote/host";
import type { Claim } from "./resource";

/** "stack S of project P": the owner named in records and messages (a URN's stack and project). */
export function ownerOf(urn: string): string {
    const [stack = "", project = ""] = urn.replace(/^urn:pulumi:/, "").split("::");
    return `stack ${stack} of project ${project}`;
}

/** A claim's record name on the host: its hash, so no claim text ever reaches a path. */
export const claimKey = (c: Claim) => createHash("sha256").update(c.key).digest("hex").slice(0, 40);

/**
 * Records this stack as the owner of every claim, or fails naming the property, what is claimed and the stack
 * that owns it (recording nothing). `type` is the resource type's short name, e.g. DaemonProcess.
 */
export async function claimOwnership(host: RemoteHost, urn: string, type: string, claims: Claim[]): Promise<void> {
    if (!claims.length) return;
    const facts = await runScript(host, "own", ["claim", OWNERS_DIR, ownerOf(urn), urn, ...claims.map(claimKey)]);
    const conflicts = claims.flatMap((c, n) => {
        const held = facts[`conflict_${n + 1}`];
        return held ? [`${type}.${c.property}: ${c.what} on ${host.name} belongs to ${held}`] : [];
    });
    if (conflicts.length)
        throw new Error(
            `${conflicts.join("; ")}. Nothing was changed. Remove it from that stack first, or take it over ` +
                "with `pulumi import` (the resource's own Read, from this stack).",
        );
}

/** Import: this stack takes the claims over, whoever held them. */
export async function takeOwnership(host: RemoteHost, urn: string, claims: Claim[]): Promise<void> {
    if (claims.length) await runScript(host, "own", ["take", OWNERS_DIR, ownerOf(urn), urn, ...claims.map(claimKey)]);
}

/** Delete: drops this stack's records of the claims (others' stay). */
export async function releaseOwnership(host: RemoteHost, urn: string, claims: Claim[]): Promise<void> {
    if (claims.length) await runScript(host, "own", ["release", OWNERS_DIR, ownerOf(urn), ...claims.map(claimKey)]);
}

/** The owner of the first claim another stack holds, or undefined when this stack (or nobody) holds them all. */
export async function foreignOwner(host: RemoteHost, urn: string, claims: Claim[]): Promise<string | undefined> {
    if (!claims.length) return undefined;
    const facts = await runScript(host, "own", ["who", OWNERS_DIR, ...claims.map(claimKey)]);
    return Object.values(facts).find((o) => o !== ownerOf(urn));
}
