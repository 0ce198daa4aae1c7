// Every provider function (Pulumi invoke) by token: the one-file answer to "what can a program ask the host?".
import type { z } from "zod";
import type { Ctx } from "../resource";
import { getStatusFunction } from "./getStatus";

export interface ProviderFunction {
    token: string;
    description: string;
    inputs: z.ZodObject;
    outputs: z.ZodObject;
    invoke(ctx: Ctx, args: Record<string, unknown>): Promise<object>;
}

export const functions: ProviderFunction[] = [getStatusFunction];

export function functionFor(token: string): ProviderFunction {
    const f = functions.find((x) => x.token === token);
    if (!f) throw new Error(`unknown function ${token}`);
    return f;
}
