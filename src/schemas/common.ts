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

/** Response schemas for the error statuses a route can send, each naming the codes of that status. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      // NOT_FOUND is the answer for a path no route has: never a route's own 404.
      const codes = (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status && code !== 'NOT_FOUND')
      return [status, Type.Ref('Error', { description: `Error: ${codes.join(' or ')}` })]
    }),
  )
}
