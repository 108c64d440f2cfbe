import { create, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";

/**
 * apid's deprecated one-to-many proxying (`nodes` metadata, talos-api.md §1.5): the call runs once per target, each
 * reply message gets `metadata.hostname` = the target as sent, a failing target becomes a message holding only
 * `metadata{hostname, error, status}`, and the RPC itself ends OK. Streams from all targets are merged.
 * gRPC clients that send several `nodes` values arrive here comma-joined (Node's Headers), so the value is split.
 * COSI methods refuse it, as in Talos.
 */
type AnyFn = (req: unknown, ctx: HandlerContext) => unknown;

export function withOneToMany<T extends object>(service: DescService, impl: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, fn] of Object.entries(impl) as [string, AnyFn][]) {
    const method = service.methods.find((m) => m.localName === key);
    if (!method || typeof fn !== "function") continue;
    const targetsOf = (ctx: HandlerContext): string[] | undefined => {
      const v = ctx.requestHeader.get("nodes");
      if (!v) return undefined;
      if (service.typeName.startsWith("cosi."))
        throw new ConnectError("one-2-many proxying is not supported for COSI methods", Code.InvalidArgument);
      return v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
    };
    const forTarget = (ctx: HandlerContext, target: string): HandlerContext => {
      const requestHeader = new Headers(ctx.requestHeader);
      requestHeader.delete("nodes");
      requestHeader.set("node", target);
      return { ...ctx, requestHeader };
    };
    const errorMessage = (schema: DescMessage, target: string, e: unknown) => {
      const ce = ConnectError.from(e);
      return create(schema, {
        metadata: { hostname: target, error: ce.rawMessage, status: { code: ce.code, message: ce.rawMessage } },
      } as never);
    };
    if (method.methodKind === "unary") {
      const itemSchema = method.output.fields.find((f) => f.name === "messages")?.message;
      out[key] = async (req: unknown, ctx: HandlerContext) => {
        const targets = targetsOf(ctx);
        if (!targets || !itemSchema) return fn(req, ctx);
        const messages: unknown[] = [];
        for (const t of targets) {
          try {
            const r = (await fn(req, forTarget(ctx, t))) as { messages?: { metadata?: unknown }[] };
            for (const m of r.messages ?? []) messages.push({ ...m, metadata: { hostname: t } });
          } catch (e) {
            messages.push(errorMessage(itemSchema, t, e));
          }
        }
        return { messages };
      };
    } else if (method.methodKind === "server_streaming") {
      out[key] = (req: unknown, ctx: HandlerContext) => {
        const targets = targetsOf(ctx);
        if (!targets) return fn(req, ctx);
        return merge(
          targets.map(async function* (t) {
            try {
              // A message made with create() carries $typeName, so its metadata must be a message too (a plain object
              // there fails serialisation: "cannot use field common.Metadata.hostname with message undefined").
              const metadataSchema = method.output.fields.find((f) => f.name === "metadata")?.message;
              for await (const m of fn(req, forTarget(ctx, t)) as AsyncIterable<object>) {
                yield { ...m, metadata: metadataSchema ? create(metadataSchema, { hostname: t }) : { hostname: t } };
              }
            } catch (e) {
              yield errorMessage(method.output, t, e);
            }
          }),
        );
      };
    } else out[key] = fn;
  }
  return out as T;
}

/** Interleaves several async streams as their items arrive. */
async function* merge<T>(streams: AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = streams.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map<number, Promise<{ i: number; r: IteratorResult<T> }>>();
  const pull = (i: number) =>
    pending.set(
      i,
      its[i]!.next().then((r) => ({ i, r })),
    );
  its.forEach((_, i) => pull(i));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) pending.delete(i);
      else {
        pull(i);
        yield r.value;
      }
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}
