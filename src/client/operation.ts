import { z } from 'zod'

/** Who may call an operation over HTTP: a key scope, or `public` (only `/health`). */
export type Access = 'public' | 'read' | 'write' | 'sql' | 'admin'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/**
 * One of asof's operations: what it takes and gives (zod), and how it travels over HTTP. The
 * client interface, its two implementations, the fastify routes and the OpenAPI document are
 * all derived from these, so they cannot drift apart.
 *
 * Binding rules: `:name` segments of `path` take the input field of that name; the other fields
 * travel in the query string (GET, DELETE) or as the JSON body (POST, PUT) — or, with `body`, the
 * body is that one field's value (a GX suite document).
 */
export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly method: HttpMethod
  readonly path: string
  readonly input: I
  readonly output: O
  readonly access: Access
  readonly summary: string
  readonly tags: readonly string[]
  /** The success status (default 200; 204 answers no body), or one chosen by the output. */
  readonly status?: number | ((output: z.output<O>) => number)
  /** The input field sent as the whole request body. */
  readonly body?: string
  /**
   * `custom`: api/ registers this route by hand (the online hot path, Arrow streams, runs that
   * answer 202), from the same schemas; the generic registrar leaves it alone.
   */
  readonly route?: 'custom'
}

/** Declares an operation (a typed identity, so the contract keeps each operation's exact schemas). */
export function op<I extends z.ZodType, O extends z.ZodType>(operation: Operation<I, O>): Operation<I, O> {
  return operation
}

/** An output typed by an existing TypeScript type, shown in the OpenAPI document as any JSON. */
export function documented<T>(description: string): z.ZodType<T> {
  return z.custom<T>(() => true).describe(description)
}

/** The `:name` segments of a path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!)
}

/** The shape of an object input (empty for inputs that are not plain objects, which travel whole as the body). */
export function inputShape(input: z.ZodType): Record<string, z.ZodType> {
  return input instanceof z.ZodObject ? (input.shape as Record<string, z.ZodType>) : {}
}

/** A contract: groups of named operations. */
export type Contract = Readonly<Record<string, Readonly<Record<string, Operation>>>>

/** The method an operation becomes on the client: input optional when every field is. */
export type ClientMethod<T> = T extends Operation<infer I, infer O>
  ? {} extends z.input<I> ? (input?: z.input<I>) => Promise<z.output<O>> : (input: z.input<I>) => Promise<z.output<O>>
  : never

/** The client interface of a contract: one method per operation, grouped as the contract is. */
export type ClientOf<C extends Contract> = { readonly [G in keyof C]: { readonly [N in keyof C[G]]: ClientMethod<C[G][N]> } }

/** What implements an operation in process: the parsed input in, the output out. */
export type Handler<T, S> = T extends Operation<infer I, infer O> ? (services: S, input: z.output<I>) => Promise<z.output<O>> : never

/** One handler per operation of a contract: a missing one is a compile error. */
export type HandlersOf<C extends Contract, S> = { readonly [G in keyof C]: { readonly [N in keyof C[G]]: Handler<C[G][N], S> } }

/** Every operation of a contract with its group and name, in declaration order. */
export function operations(contract: Contract): { group: string; name: string; operation: Operation }[] {
  return Object.entries(contract).flatMap(([group, ops]) => Object.entries(ops).map(([name, operation]) => ({ group, name, operation })))
}
