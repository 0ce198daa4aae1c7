// What Read and a deploy check of an app's files beyond their text: who owns env.json and the loader, and their
// modes. A file the daemon cannot read takes the site down as surely as a wrong one.
import { sh } from "../../remote/sh";
import { ownedBy, type Fact } from "../../facts";

/** A file as `stat -c '%u %U %g %G %a'` prints it. */
export interface FileStat {
    uid: number;
    user: string;
    gid: number;
    group: string;
    mode: string;
}

/** The shell command whose output parseStat reads (prints nothing for a missing file). */
export const statCommand = (path: string) => sh`stat -c '%u %U %g %G %a' ${path} 2>/dev/null`;

export function parseStat(text: string): FileStat | undefined {
    const m = /^(\d+) (\S+) (\d+) (\S+) ([0-7]{3,4})$/.exec(text.trim());
    return m ? { uid: Number(m[1]), user: m[2], gid: Number(m[3]), group: m[4], mode: m[5] } : undefined;
}

export const fileStat = (path: string): Fact<FileStat | undefined> => ({
    name: "file owner and mode",
    command: statCommand(path),
    parse: (r) => (r.code === 0 ? parseStat(r.stdout) : undefined),
});

/** env.json as the daemon needs it: its user's (a name, or mod_wsgi's `#uid`), group root, mode 400. */
export const envFileWanted = (user: string) => `${user}:root 400`;

/**
 * The envFileMode output: envFileWanted(user) when env.json is as the daemon `user` needs it, `missing`, or what
 * was found with what it must be (never equal to any envFileWanted value).
 */
export function envFileMode(st: FileStat | undefined, user: string): string {
    if (!st) return "missing";
    if (ownedBy({ uid: st.uid, name: st.user }, user) && st.gid === 0 && st.mode === "400") return envFileWanted(user);
    return `${st.user}:${st.group} ${st.mode} (must be ${envFileWanted(user)})`;
}

/** Whether an envFileMode value says env.json is right; a state without one (an earlier release) is taken as right. */
export const envFileRight = (v: unknown) => v === undefined || /^\S+:root 400$/.test(String(v));

/** The loader is root's, mode 644 (`stat -c '%u %a'`): else the loaderSha256 output names what was found. */
export function loaderMode(stat: string): string | undefined {
    const s = stat.trim();
    if (s === "" || s === "0 644") return undefined;
    const [uid, mode] = s.split(" ");
    return `owner uid ${uid}, mode ${mode} (the loader must be root's, mode 644)`;
}
