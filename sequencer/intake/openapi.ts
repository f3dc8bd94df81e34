/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
import { z } from "zod";
import { SEQUENCER_ERRORS } from "../errors.ts";
import type { Route } from "./route.ts";

function jsonSchema(schema: z.ZodType): unknown {
  const s = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function parametersOf(schema: z.ZodType | undefined, location: "path" | "query"): unknown[] {
  if (schema === undefined) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: location,
    required: location === "path" || (js.required ?? []).includes(name),
    schema: s,
  }));
}

export function openApiDocument(routes: readonly Route[], version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, "{$1}");
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      parameters: [...parametersOf(r.schemas.params, "path"), ...parametersOf(r.schemas.query, "query")],
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, description]) => [
          status,
          Number(status) >= 400
            ? { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }
            : { description },
        ]),
      ),
    };
    if (r.schemas.body !== undefined)
      op.requestBody = { required: true, content: { "application/json": { schema: jsonSchema(r.schemas.body) } } };
    if (r.auth === "session") op.security = [{ session: [] }];
    if (r.auth === "admin") op.security = [{ admin: [] }];
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Tessera sequencer API",
      version,
      description:
        "Order entry, market data and account data of the Tessera venue. Integers that are money, sizes, prices, ids or times are decimal strings. See docs/api.md.",
    },
    paths,
    components: {
      securitySchemes: {
        session: { type: "http", scheme: "bearer", description: "token from POST /v1/auth/session" },
        admin: { type: "http", scheme: "bearer", description: "operator token" },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["code", "message"],
          properties: {
            code: { type: "string", description: "stable code", examples: Object.keys(SEQUENCER_ERRORS) },
            message: { type: "string" },
          },
        },
      },
    },
  };
}
