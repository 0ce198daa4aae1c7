// Plugin entry: serve, print the port (the engine's handshake), log to the engine at argv's address.
import "./compileCache";
import { startServer } from "./server";
import { connectEngine } from "./log";
import { closeAll } from "./remote/ssh";

async function main() {
    // Engine flags come first (--logtostderr, -v=N, --tracing ADDR); the engine address is the last word.
    const args = process.argv.slice(2);
    const positional = args.filter((a, i) => !a.startsWith("-") && args[i - 1] !== "--tracing");
    connectEngine(positional[0]);
    const { port } = await startServer();
    process.stdout.write(`${port}\n`);
    const stop = () => {
        closeAll();
        process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

main().catch((err) => {
    process.stderr.write(`pulumi-resource-modwsgi: ${err?.stack ?? err}\n`);
    process.exit(1);
});
