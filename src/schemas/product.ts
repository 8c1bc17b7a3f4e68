import Type from 'typebox'

/** AliExpress product ids: the 13-20 digit `1005...` form and older, shorter ones. */
export const PRODUCT_ID_PATTERN = '^[1-9][0-9]{5,19}$'

export const ProductIdSchema = Type.String({ pattern: PRODUCT_ID_PATTERN, description: 'AliExpress product id', examples: ['1005006123456789'] })
export const ProductParamsSchema = Type.Object({ productId: ProductIdSchema })
