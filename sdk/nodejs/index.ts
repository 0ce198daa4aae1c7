// Typed Node.js SDK for the modwsgi provider. Written by hand: test/unit/sdk.test.ts checks that every
// property here exists in the provider's schema (and the reverse), so the two cannot drift apart.
import * as pulumi from "@pulumi/pulumi";

type In<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** Inputs plus output-only names set to undefined, so the runtime creates resolvers for them. */
function withOutputs(props: object, outputs: readonly string[]): Record<string, unknown> {
    const all: Record<string, unknown> = { ...props };
    for (const o of outputs) if (!(o in all)) all[o] = undefined;
    return all;
}

/** One SSH hop: how to reach and log in to a server. */
export interface HopArgs {
    /** Address or name of the server. */
    host: string;
    /** SSH port (default 22). */
    port?: number;
    /** SSH user (default root). A user other than root runs every command through sudo. */
    user?: string;
    /** Private key, PEM or OpenSSH format; stored encrypted. */
    privateKey?: string;
    /** Passphrase of an encrypted privateKey; stored encrypted. */
    privateKeyPassphrase?: string;
    /** Password authentication; stored encrypted. */
    password?: string;
    /** Authenticate with the ssh-agent at $SSH_AUTH_SOCK of the process running Pulumi. */
    agent?: boolean;
    /** Pinned host key: `ssh-ed25519 AAAA...` or a `SHA256:...` fingerprint. */
    hostKey?: string;
    /** known_hosts file to verify the host key with when hostKey is not set (default ~/.ssh/known_hosts). */
    knownHostsFile?: string;
    /** `verify` (default) or `acceptAny` (throw-away hosts only). */
    hostKeyPolicy?: "verify" | "acceptAny";
}

export interface ProviderArgs extends HopArgs {
    /** Bastions to go through, in order; each with its own credentials and host key. */
    jumpHosts?: HopArgs[];
    /** Password for sudo when user is not root; stored encrypted, fed on stdin. */
    sudoPassword?: string;
}

const SECRET_ARGS = ["privateKey", "privateKeyPassphrase", "password", "sudoPassword", "jumpHosts"] as const;

/** The SSH connection to one Apache host. */
export class Provider extends pulumi.ProviderResource {
    constructor(name: string, args: In<ProviderArgs>, opts?: pulumi.ResourceOptions) {
        const props: Record<string, unknown> = { ...args };
        for (const k of SECRET_ARGS) if (props[k] !== undefined) props[k] = pulumi.secret(props[k]);
        super("modwsgi", name, props, opts);
    }
}

export interface WsgiModuleArgs {
    /** mod_wsgi release from PyPI (default 6.1.1). */
    version?: string;
    /** Python interpreter to build against (default /usr/bin/python3). */
    python?: string;
}

/** mod_wsgi built on the host from PyPI and loaded into Apache. */
export class WsgiModule extends pulumi.CustomResource {
    declare readonly version: pulumi.Output<string>;
    declare readonly python: pulumi.Output<string>;
    declare readonly venv: pulumi.Output<string>;
    declare readonly modulePath: pulumi.Output<string>;
    declare readonly moduleSha256: pulumi.Output<string>;
    declare readonly pythonVersion: pulumi.Output<string>;
    declare readonly configSha256: pulumi.Output<string>;
    static readonly outputs = ["venv", "modulePath", "moduleSha256", "pythonVersion", "configSha256"] as const;
    constructor(name: string, args: In<WsgiModuleArgs> = {}, opts?: pulumi.CustomResourceOptions) {
        super("modwsgi:index:WsgiModule", name, withOutputs(args, WsgiModule.outputs), opts);
    }
}

export interface PythonEnvArgs {
    /** Environment name: the venv is /opt/modwsgi/envs/<name>. */
    name: string;
    /** Interpreter (must be the WsgiModule's; default /usr/bin/python3). */
    python?: string;
    /** pip requirement specifiers, ideally pinned. */
    requirements?: string[];
}

/** A Python virtual environment with pinned requirements. */
export class PythonEnv extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly python: pulumi.Output<string>;
    declare readonly requirements: pulumi.Output<string[]>;
    declare readonly path: pulumi.Output<string>;
    declare readonly pythonVersion: pulumi.Output<string>;
    declare readonly freezeSha256: pulumi.Output<string>;
    declare readonly appliedFreezeSha256: pulumi.Output<string>;
    static readonly outputs = ["path", "pythonVersion", "freezeSha256", "appliedFreezeSha256"] as const;
    constructor(name: string, args: In<PythonEnvArgs>, opts?: pulumi.CustomResourceOptions) {
        super("modwsgi:index:PythonEnv", name, withOutputs(args, PythonEnv.outputs), opts);
    }
}

export interface DaemonProcessArgs {
    /** Group name (WSGIDaemonProcess NAME). */
    name: string;
    processes?: number;
    /** Threads per process (default 5). */
    threads?: number;
    /** Venv for the group, e.g. a PythonEnv's `path`. */
    pythonHome?: string;
    user?: string;
    group?: string;
    home?: string;
    /** Default `%{GROUP}`. */
    displayName?: string;
    lang?: string;
    locale?: string;
    /** All timeouts in seconds; defaults are the upstream recommended production set. */
    queueTimeout?: number;
    socketTimeout?: number;
    connectTimeout?: number;
    requestTimeout?: number;
    interruptTimeout?: number;
    inactivityTimeout?: number;
    startupTimeout?: number;
    deadlockTimeout?: number;
    gracefulTimeout?: number;
    evictionTimeout?: number;
    restartInterval?: number;
    shutdownTimeout?: number;
    maximumRequests?: number;
}

/** A mod_wsgi daemon process group. */
export class DaemonProcess extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly threads: pulumi.Output<number>;
    declare readonly configFile: pulumi.Output<string>;
    declare readonly configSha256: pulumi.Output<string>;
    static readonly outputs = ["configFile", "configSha256"] as const;
    constructor(name: string, args: In<DaemonProcessArgs>, opts?: pulumi.CustomResourceOptions) {
        super("modwsgi:index:DaemonProcess", name, withOutputs(args, DaemonProcess.outputs), opts);
    }
}

export interface ApplicationArgs {
    /** Application name: code lives in /srv/modwsgi/<name>. */
    name: string;
    /** URL path (default /). */
    mountPoint?: string;
    /** Local directory with the app code. */
    source: string;
    /** WSGI script inside source (default app.wsgi). */
    scriptFile?: string;
    /** Daemon group that runs the app. */
    processGroup: string;
    /** Interpreter within the group (default %{GLOBAL}). */
    applicationGroup?: string;
    /** Environment variables set in os.environ before the app's script runs; stored encrypted. */
    environment?: Record<string, string>;
}

/** A WSGI application mounted with WSGIScriptAlias in a daemon group. */
export class Application extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly mountPoint: pulumi.Output<string>;
    declare readonly sourceSha256: pulumi.Output<string>;
    declare readonly appDir: pulumi.Output<string>;
    declare readonly configFile: pulumi.Output<string>;
    declare readonly configSha256: pulumi.Output<string>;
    declare readonly loaderSha256: pulumi.Output<string>;
    static readonly outputs = ["sourceSha256", "appDir", "configFile", "configSha256", "loaderSha256"] as const;
    constructor(name: string, args: In<ApplicationArgs>, opts?: pulumi.CustomResourceOptions) {
        const props = args.environment === undefined ? args : { ...args, environment: pulumi.secret(args.environment) };
        super("modwsgi:index:Application", name, withOutputs(props, Application.outputs), opts);
    }
}
