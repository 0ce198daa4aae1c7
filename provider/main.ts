// Plugin entry: serve, print the port (the engine's handshake), log to the engine at argv's address. The
// provider's configuration is served at once; the rest of the provider loads after Configure (see listen.ts).
import "./compileCache";
import { LATER_CALLS, configService } from "./config";
import { listen } from "./listen";

async function main() {
    // Engine flags come first (--logtostderr, -v=N, --tracing ADDR); the engine address is the last word.
    const args = process.argv.slice(2);
    const positional = args.filter((a, i) => !a.startsWith("-") && args[i - 1] !== "--tracing");
    let loaded: typeof import("./server") | undefined;
    const later = async () => {
        loaded = await import("./server");
        loaded.connectEngine(positional[0]);
        return loaded.service;
    };
    // Configure is the engine's last call before it starts the next plugin: load the rest once it is answered.
    const configure = configService.configure!;
    const { port, warm } = listen(
        {
            ...configService,
            configure: (call, cb) =>
                configure(call, (err, res) => {
                    cb(err, res);
                    warm();
                }),
        },
        LATER_CALLS,
        later,
    );
    process.stdout.write(`${await port}\n`);
    const stop = () => {
        loaded?.closeAll();
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

main().catch((err) => {
    process.stderr.write(`pulumi-resource-modwsgi: ${err?.stack ?? err}\n`);
    process.exit(1);
});
