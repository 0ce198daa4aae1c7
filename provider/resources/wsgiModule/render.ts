// Pure: the managed LoadModule and include files, and where each build's venv goes. (The LoadModule file is
// read back by the loadedModule fact's parser, parseLoad in provider/facts/module.ts.)
import { HEADER, sha256, word } from "../../apache";
import { MODULE_ROOT, MODWSGI_D } from "../../layout";
import type { WsgiModuleInputs } from "./schema";

/** Each version, Python and archive builds in a venv of its own, so the module Apache runs is never touched. */
export const venvFor = (i: WsgiModuleInputs) =>
    i.source === "distro"
        ? ""
        : `${MODULE_ROOT}/mod_wsgi-${i.version}-${i.python.split("/").pop()}` +
          (i.sha256 ? `-${i.sha256.slice(0, 12)}` : "");

/** The LoadModule file; its first lines record version and ABI for the other resources' checks. */
export function renderLoad(modulePath: string, version: string, abi: string): string {
    return `${HEADER}# mod_wsgi ${version} for ${abi}\nLoadModule wsgi_module ${word(modulePath)}\n`;
}

export function renderConf(): string {
    return (
        HEADER +
        "<IfModule wsgi_module>\n" +
        "    # Only daemon mode: no Python in Apache's own children.\n" +
        "    WSGIRestrictEmbedded On\n" +
        `    IncludeOptional ${MODWSGI_D}/*.conf\n` +
        "</IfModule>\n"
    );
}

/** The fingerprint of the two managed files. */
export const configSha = (load: string, conf: string) => sha256(load + conf);
