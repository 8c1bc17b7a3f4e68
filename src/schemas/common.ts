import Type from 'typebox'
import { ERRORS, type ErrorCode } from './errors.ts'

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(Object.keys(ERRORS) as ErrorCode[]),
      message: Type.String({ description: 'a sentence for people; never internals or credentials' }),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }))),
    }),
  },
  { $id: 'Error' },
)

/** Response schemas for the error statuses a route can send. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, Type.Ref('Error')]))
}
