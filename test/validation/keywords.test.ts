import fc from 'fast-check'
import t from 'tap'
import { deriveKeywords, normalizeTerms } from '../../src/validation/keywords.ts'

// AliExpress-style titles and the terms Facebook and YouTube should be asked. Each expected value was
// checked by hand: the product noun phrase from the head of the title, without noise, sizes, colours,
// units, model numbers, gender words or stop words.
const TITLES: [title: string, terms: string][] = [
  ['LED Strip Lights Bluetooth RGB 5050 USB 5V Tape Lamp for TV Backlight Room Decoration 1M 2M 3M 5M', 'led strip lights bluetooth'],
  ['【2024 New】LED Strip Lights Bluetooth APP Control 16.4ft 5M RGB Color Changing', 'led strip lights bluetooth'],
  ['Magnetic Car Phone Holder 360° Rotation Air Vent Mount for iPhone 15 14 Samsung Xiaomi', 'magnetic car phone holder'],
  ['Car Phone Holder Magnetic, Strong Magnet Mount for iPhone 15 Pro Max', 'car phone holder magnetic'],
  ['Mini Portable Blender USB Rechargeable Juicer Cup 380ml Fruit Mixer Free Shipping', 'portable blender juicer cup'],
  ['Portable Blender, Mini Juicer Cup 6 Blades USB Rechargeable 400ML', 'portable blender'],
  ["Hot Sale Women's Summer Dress 2024 Casual Floral Print V-Neck Sundress S M L XL XXL", 'summer dress casual floral'],
  ['TWS Wireless Earbuds Bluetooth 5.3 Headphones HiFi Stereo Noise Cancelling Earphones with Mic', 'tws wireless earbuds bluetooth'],
  ['Original Xiaomi Redmi Buds 5 Pro Wireless Earphones ANC Bluetooth 5.3', 'xiaomi redmi buds wireless'],
  ['2000mAh Electric Neck Massager 6 Modes Heating Cervical Relief Black White', 'electric neck massager heating'],
  ['Dog Harness No Pull Adjustable Reflective Vest for Small Medium Large Dogs XS-XL', 'dog harness no pull'],
  ['Pet Hair Remover Roller Reusable Lint Brush for Dog Cat Fur Cleaning | Dropshipping', 'pet hair remover roller'],
  ['Silicone Kitchen Utensils Set 12Pcs Non-stick Cooking Tools Wooden Handle', 'silicone kitchen utensils non-stick'],
  ['Ice Roller for Face Eye Puffiness Relief Skin Care Tool Stainless Steel', 'ice roller'],
  ['Wholesale 1pc/2pcs/Set Anti-Slip Bath Mat Diatomite Quick Dry 40x60cm', 'anti-slip bath mat diatomite'],
  ['Smart Watch Men Women 1.96" AMOLED Bluetooth Call Fitness Tracker Waterproof IP68 for Android iOS', 'smart watch amoled bluetooth'],
  ['Electric Scalp Massager 4D Waterproof Head Massage Cordless Rechargeable Gray', 'electric scalp massager waterproof'],
  ['Sunset Lamp Projector Rainbow Atmosphere Night Light 16 Colors USB Photography', 'sunset lamp projector rainbow'],
  ['Rose Gold Stainless Steel Heart Necklace for Women Jewelry Gift', 'stainless steel heart necklace'],
  ["Eternal Rose in Glass Dome Valentine's Day Gift for Girlfriend", 'eternal rose glass dome'],
  ['Color Changing Mug Heat Sensitive Magic Coffee Cup 350ml Creative Gift', 'color changing mug heat'],
  ['Portable Neck Fan Bladeless Hanging USB Rechargeable 4000mAh 3 Speeds Quiet Cooling', 'portable neck fan bladeless'],
  ['3D Printer Filament PLA 1.75mm 1kg Spool Black', '3d printer filament pla'],
  ['Posture Corrector Back Brace Adjustable Shoulder Support Belt Unisex S/M/L/XL', 'posture corrector back brace'],
  ['High Quality Baby Nasal Aspirator Electric Nose Cleaner Safe Hygienic for Newborn Kids', 'baby nasal aspirator electric'],
  ['Car Vacuum Cleaner 120W Wireless Handheld Mini Vacuum Wet/Dry 8000Pa Strong Suction', 'car vacuum cleaner wireless'],
  ['Cat Water Fountain Automatic 2.5L Pet Drinking Dispenser with LED Light Ultra Quiet Pump', 'cat water fountain automatic'],
  ['Resistance Bands Set 11 Pcs Fitness Exercise Tubes with Handles Door Anchor Home Gym', 'resistance bands fitness exercise'],
  ['Waterproof Phone Pouch IPX8 Underwater Bag Universal Case for iPhone 15 Swimming', 'waterproof phone pouch underwater'],
  ['Foldable Laptop Stand Adjustable Aluminum Desk Holder for MacBook Pro Air 10-17 inch', 'foldable laptop stand adjustable'],
  ['Wireless Charger 15W Fast Charging Pad Qi for iPhone 15 14 13 Samsung S23 Galaxy Buds', 'wireless charger charging pad'],
  ['Nail Art Kit UV LED Lamp Gel Polish Manicure Set 48W + 20 Colors', 'nail art kit uv'],
  ['Kids Tablet 7 Inch Android 12 2GB 32GB WiFi Education Learning Tablet for Children', 'kids tablet android wifi'],
  ['USB-C to HDMI Adapter 4K 60Hz Type C Hub for MacBook', 'usb-c hdmi adapter 4k'],
  ["Men's T-Shirt Oversized Cotton Short Sleeve Streetwear Tee Top Summer Black", 't-shirt oversized cotton short'],
  ['Light Blue Women Denim Jacket Oversized Vintage Streetwear', 'denim jacket oversized vintage'],
  ['Makeup Brush Set 14pcs Soft Synthetic Foundation Powder Blush Eyeshadow Brushes', 'makeup brush soft synthetic'],
  ['Hair Straightener &amp; Curler 2 in 1 Ceramic Flat Iron Professional 230°C', 'hair straightener curler ceramic'],
  ['Automatic Soap Dispenser Touchless Foam 350ml Infrared Sensor Wall Mount', 'automatic soap dispenser touchless'],
  ['Clear Phone Case for iPhone 15 Pro Max Shockproof Transparent Silicone Cover', 'phone case'],
  ['Bluetooth Speaker Portable Wireless Column Subwoofer Outdoor Waterproof Speakers Support TF Card FM Radio AUX', 'bluetooth speaker portable wireless'],
  ['【Free Shipping】Electric Lunch Box Food Heater 12V 24V 220V Car Truck Home | Stainless Steel Container', 'electric lunch box food'],
  ['2024 Newest Hot Sale Smart Ring Health Monitor Sleep Tracker Titanium Steel IP68 Waterproof Size 7-13', 'smart ring health monitor'],
  ['Kitchen Scale Digital 10kg/1g Food Weighing Electronic Balance LCD Display', 'kitchen scale digital'],
  ['Solar Garden Lights Outdoor Waterproof LED Pathway Lamp – Warm White 8 Pack', 'solar garden lights outdoor'],
  ['Hot Sale!!! Cute Cartoon Cat Ear Headphones Wireless Bluetooth 5.0 Kids Girls Gift Pink', 'cartoon cat ear headphones'],
]

t.test('titles give their product terms', (t) => {
  t.ok(TITLES.length >= 30)
  for (const [title, terms] of TITLES) t.equal(deriveKeywords(title), terms, title)
  t.end()
})

t.test('two titles of the same product give the same terms', (t) => {
  const same = [
    ['LED Strip Lights Bluetooth RGB 5050 USB 5V Tape Lamp for TV Backlight', '【2024 New】LED Strip Lights Bluetooth APP Control 16.4ft 5M RGB Color Changing'],
    ['Hot Sale Women\'s Summer Dress Floral Print S M L XL', 'Summer Dress Floral Print for Women 2024 New Arrival'],
    ['Posture Corrector Back Brace Unisex S/M/L/XL', 'Posture Corrector Back Brace, Adjustable Shoulder Support for Men Women'],
    ['Free Shipping 1pc Ice Roller for Face', 'Ice Roller | Facial Massage Tool Stainless Steel'],
  ]
  for (const [a, b] of same) t.equal(deriveKeywords(a!), deriveKeywords(b!), `${a} ~ ${b}`)
  t.end()
})

t.test('maxWords bounds the number of words', (t) => {
  const title = 'LED Strip Lights Bluetooth RGB 5050 USB 5V Tape Lamp for TV Backlight'
  t.equal(deriveKeywords(title, 2), 'led strip')
  t.equal(deriveKeywords(title, 6), 'led strip lights bluetooth rgb tape')
  t.end()
})

t.test('a title made only of noise still yields plain words', (t) => {
  t.equal(deriveKeywords('2024 New Hot Sale Free Shipping'), 'new hot sale free')
  t.equal(deriveKeywords('Black White 5M 10M'), 'black white')
  t.equal(deriveKeywords('  ,,, 【】 123 '), '')
  t.end()
})

t.test('normalizeTerms lower-cases, collapses spaces and trims', (t) => {
  t.equal(normalizeTerms('  LED   Strip\tLights \n'), 'led strip lights')
  t.equal(normalizeTerms('Ｌｅｄ Strip'), 'led strip', 'full-width letters fold to ASCII')
  t.equal(normalizeTerms('usb-c hub'), 'usb-c hub', 'punctuation the caller chose stays')
  t.end()
})

const VOCABULARY = [
  'LED', 'Strip', 'Lights', 'Phone', 'Holder', 'Magnetic', 'for', 'with', 'and', 'New', 'Hot', 'Sale', '2024', 'Free',
  'Shipping', 'Black', 'White', 'Rose', 'Gold', 'Color', 'Changing', 'Light', 'Blue', '5M', '16.4ft', 'X12', 'V5.0',
  '3D', 'XL', 'S', 'Women\'s', 'Men', '1pc/2pcs', '【', '】', '|', '/', '+', ',', '-', '–', '6', 'Modes', 'Dog',
  'Harness', 'USB-C', 'Anti-Slip', 'Mug', '&amp;', 'Ｆｕｌｌ', 'Ürün', 'Кабель',
]
const titles = fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 25 }).map((words) => words.join(' '))

t.test('derived terms are lower case, bounded, made of title words and deterministic', (t) => {
  const details = fc.check(
    fc.property(titles, fc.integer({ min: 1, max: 8 }), (title, maxWords) => {
      const terms = deriveKeywords(title, maxWords)
      const words = terms === '' ? [] : terms.split(' ')
      const source = normalizeTerms(title)
      return (
        terms === normalizeTerms(terms) &&
        words.length <= maxWords &&
        new Set(words).size === words.length &&
        words.every((word) => source.includes(word)) &&
        deriveKeywords(title, maxWords) === terms &&
        // Deriving again from the terms never brings in a word they did not have.
        deriveKeywords(terms, maxWords)
          .split(' ')
          .every((word) => word === '' || words.includes(word))
      )
    }),
    { numRuns: 500 },
  )
  t.notOk(details.failed, fc.defaultReportMessage(details) ?? 'keyword properties hold')
  t.end()
})
