import type { Economics, Reason } from '../schemas/validation.ts'
import { blend, type MarginInput, type Parts } from './components.ts'
import { currencyScale, MARKUP, PRICE_CEILING } from './economics.ts'
import type { ShippingQuote, SourceResult } from './sources.ts'

// The margin's reasons: the landed cost with its numbers when shipping is known, the price point alone
// (and why the rest is missing) when it is not, and the delivery estimate. Pure.

const moneyFormats = new Map<string, Intl.NumberFormat>()
export function money(n: number, currency: string): string {
  let format = moneyFormats.get(currency)
  if (!format) {
    // Building an Intl formatter costs far more than using one; there are only a few currencies.
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency })
    moneyFormats.set(currency, format)
  }
  return format.format(n)
}

export interface MarginFacts {
  input: MarginInput
  parts: Parts<'margin'>
  economics: Economics
  shipping: SourceResult<ShippingQuote> | undefined
  /** the market's country, when known */
  country: string | undefined
}

export function marginReasons({ input, parts, economics, shipping, country }: MarginFacts): Reason[] {
  if (parts.price === null) return []
  const reasons: Reason[] = []
  const currency = economics.currency
  const $ = (n: number) => money(n, currency)
  const to = country ? ` to ${country}` : ''
  const value = blend('margin', parts)!
  const effect: Reason['effect'] = value >= 60 ? 'positive' : value < 40 ? 'negative' : 'neutral'
  const code = effect === 'positive' ? 'GOOD_MARGIN' : effect === 'neutral' ? 'FAIR_MARGIN' : 'THIN_MARGIN'
  const { landedCost, suggestedPrice, grossMargin, breakEvenCpa, itemCost } = economics
  if (landedCost !== null && suggestedPrice !== null && grossMargin !== null && breakEvenCpa !== null && itemCost !== null) {
    const shippingText = economics.shipping.cost === 0 ? 'free shipping' : `${$(economics.shipping.cost!)} shipping`
    const capped = suggestedPrice.high < MARKUP.high * landedCost - 0.005 ? ` (capped at ${PRICE_CEILING}x the item cost)` : ''
    reasons.push({
      code,
      effect,
      message:
        `landed cost ${$(landedCost)} (${$(itemCost)} item + ${shippingText}${to}); sold at ${$(suggestedPrice.high)}${capped}, ` +
        `gross margin ${Math.round(grossMargin * 100)}% and ${$(breakEvenCpa)} per sale for ads (break-even cost per acquisition)`,
    })
  } else {
    const price = input.salePrice!
    const usd = price / currencyScale(currency)!
    const band = `${$(price * MARKUP.low)}-${$(price * MARKUP.high)}`
    let why = `room for the usual ${MARKUP.low}-${MARKUP.high}x markup (${band})`
    if (usd < 3) why = `fees take much of a ${MARKUP.low}-${MARKUP.high}x markup`
    else if (usd > 60) why = `a ${MARKUP.low}-${MARKUP.high}x markup (${band}) means a higher ad cost per sale and lower conversion`
    else if (usd > 25) why = `a ${MARKUP.low}-${MARKUP.high}x markup (${band}) still sells, with fewer buyers`
    reasons.push({ code, effect, message: `sale price ${$(price)}: ${why}; shipping${to} unknown, so landed margin and ad room are not scored` })
    reasons.push({ code: 'SHIPPING_UNKNOWN', effect: 'negative', message: `shipping cost${to} unknown (${whyUnknown(shipping, currency)}): ${countsAsZero}` })
  }
  const { minDays, maxDays, daysSource, carrier } = economics.shipping
  if (maxDays !== undefined) {
    const days = minDays !== undefined && minDays !== maxDays ? `${minDays}-${maxDays}` : `${maxDays}`
    const message =
      daysSource === 'freight' ? `${carrier ?? 'the cheapest option'} delivers${to} in ${days} days` : `AliExpress estimates delivery${to} in ${days} days`
    reasons.push({ code: 'DELIVERY_ESTIMATE', effect: 'neutral', message })
  }
  return reasons
}

const countsAsZero = 'landed margin and break-even ad cost count as 0 in the total, so the score cannot gain from the gap'

function whyUnknown(shipping: SourceResult<ShippingQuote> | undefined, currency: string): string {
  if (shipping === undefined) return 'the freight API was not asked'
  if (shipping.status === 'ok') return `AliExpress quoted it in ${shipping.data.currency}, the price is in ${currency}`
  return `${shipping.status}: ${shipping.reason}`
}
