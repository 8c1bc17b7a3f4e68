// What the simulated catalogue sells: product types with their AliExpress categories, the words
// their listing titles are made of, and the price range each usually sells for.

/** How well a product sells; the last digit of its id decides (see catalogue.ts). */
export type ProductKind = 'strong' | 'average' | 'weak' | 'unknown'
export type ListedKind = Exclude<ProductKind, 'unknown'>

export interface ProductType {
  name: string
  features: readonly string[]
  variants: readonly string[]
  category: { firstId: number; firstName: string; secondId: number; secondName: string }
  /** what the type usually sells for, USD */
  priceUsd: readonly [number, number]
}

const LIGHTS = { firstId: 39, firstName: 'Lights & Lighting' }
const HEALTH = { firstId: 66, firstName: 'Beauty & Health' }
const APPLIANCES = { firstId: 6, firstName: 'Home Appliances' }
const HOME = { firstId: 15, firstName: 'Home & Garden' }
const CAR = { firstId: 34, firstName: 'Automobiles, Parts & Accessories' }
const ELECTRONICS = { firstId: 44, firstName: 'Consumer Electronics' }
const SPORTS = { firstId: 18, firstName: 'Sports & Entertainment' }
const PHONES = { firstId: 509, firstName: 'Cellphones & Telecommunications' }
const BAGS = { firstId: 1524, firstName: 'Luggage & Bags' }
const BABY = { firstId: 1501, firstName: 'Mother & Kids' }
const JEWELRY = { firstId: 1509, firstName: 'Jewelry & Accessories' }

function type(
  name: string,
  first: { firstId: number; firstName: string },
  secondId: number,
  secondName: string,
  priceUsd: [number, number],
  features: string[],
  variants: string[],
): ProductType {
  return { name, features, variants, category: { ...first, secondId, secondName }, priceUsd }
}

export const PRODUCT_TYPES: readonly ProductType[] = [
  type('LED Strip Lights', LIGHTS, 530, 'LED Strips', [2.5, 18], ['RGB', 'Bluetooth', 'Music Sync', 'Color Changing', 'USB 5V', 'App Control', 'for Bedroom'], ['5M', '10M', '16.4ft', '20M', '32.8ft']),
  type('Posture Corrector', HEALTH, 200001355, 'Health Care', [3, 12], ['Adjustable', 'Back Brace', 'Shoulder Support', 'Invisible', 'for Men Women'], ['S', 'M', 'L', 'XL', 'XXL']),
  type('Portable Blender', APPLIANCES, 100000306, 'Kitchen Appliances', [8, 25], ['USB Rechargeable', 'Juicer Cup', '6 Blades', 'Mini', 'Fresh Juice'], ['380ml', '400ml', '500ml']),
  type('Pet Hair Remover Roller', HOME, 100006664, 'Pet Products', [2, 9], ['Reusable', 'Lint Brush', 'Self-Cleaning', 'for Sofa Clothes'], ['1PC', '2PCS']),
  type('Magnetic Phone Holder', CAR, 200002851, 'Car Holder', [1.5, 8], ['for Car', '360 Rotation', 'Air Vent', 'Strong Magnet', 'for iPhone Samsung'], ['1PC', '2PCS']),
  type('Sunset Lamp Projector', LIGHTS, 39050508, 'Night Lights', [4, 15], ['Rainbow', 'USB', 'Atmosphere', 'Photography', '180 Degree Rotation'], ['16 Colors', 'Remote Control']),
  type('Wireless Earbuds', ELECTRONICS, 63705, 'Earphones & Headphones', [6, 30], ['TWS', 'Bluetooth 5.3', 'Noise Cancelling', 'HiFi Stereo', 'Waterproof'], ['Type-C', 'LED Display']),
  type('Smart Watch', ELECTRONICS, 200084019, 'Smart Watches', [12, 45], ['Fitness Tracker', 'Heart Rate', 'Bluetooth Call', 'IP68 Waterproof'], ['1.96 Inch', '1.85 Inch', '2.01 Inch']),
  type('Neck Massager', HEALTH, 200001400, 'Massage & Relaxation', [7, 25], ['Electric', 'EMS Pulse', 'Heating', 'Cervical', 'Pain Relief'], ['6 Modes', '15 Levels']),
  type('Car Vacuum Cleaner', CAR, 200003438, 'Car Cleaning', [10, 35], ['Wireless', 'Handheld', 'Strong Suction', 'Portable'], ['120W', '9000Pa', '12000Pa']),
  type('Mini Projector', ELECTRONICS, 200004011, 'Projectors', [35, 90], ['HD 1080P', 'WiFi', 'Android', 'Home Theater', '4K Support'], ['200 ANSI', '5G WiFi']),
  type('Makeup Brush Set', HEALTH, 660103, 'Makeup Tools', [3, 15], ['Soft Synthetic', 'Foundation', 'Eyeshadow', 'Blending'], ['10pcs', '14pcs', '20pcs']),
  type('Resistance Bands Set', SPORTS, 100005322, 'Fitness & Body Building', [5, 20], ['Fitness', 'Yoga', 'Pull Up', 'Elastic', 'Home Gym'], ['11pcs', '5 Levels']),
  type('Hair Straightener Brush', HEALTH, 100000616, 'Hair Care & Styling', [9, 28], ['Ceramic', 'Heated Comb', 'Anti-Scald', 'Fast Heating'], ['EU Plug', 'US Plug', 'UK Plug']),
  type('Silicone Kitchen Utensils Set', HOME, 100004807, 'Kitchen, Dining & Bar', [8, 30], ['Non-stick', 'Heat Resistant', 'Wooden Handle', 'Cooking Tools'], ['12pcs', '15pcs']),
  type('Motivational Water Bottle', HOME, 100004812, 'Drinkware', [4, 14], ['Time Marker', 'BPA Free', 'Leakproof', 'Sports'], ['1L', '2L', '64oz']),
  type('Baby Nail Trimmer', BABY, 100001118, 'Baby Care', [3, 10], ['Electric', 'Safe', 'Newborn', 'Quiet'], ['6 Grinding Heads']),
  type('Anti Theft Backpack', BAGS, 152405, 'Backpacks', [12, 40], ['USB Charging', 'Waterproof', 'Travel', 'Business'], ['15.6 Inch Laptop', '17 Inch']),
  type('Massage Gun', HEALTH, 200001400, 'Massage & Relaxation', [15, 60], ['Deep Tissue', 'Percussion', 'LCD Touch', 'Muscle Relax'], ['30 Speed', '6 Heads']),
  type('Ring Light', ELECTRONICS, 200004390, 'Photo Studio', [6, 25], ['Selfie', 'Tripod Stand', 'Dimmable', 'for TikTok YouTube'], ['10 Inch', '12 Inch', '18 Inch']),
  type('Dog Harness', HOME, 100006664, 'Pet Products', [3, 14], ['No Pull', 'Reflective', 'Adjustable', 'Breathable Mesh'], ['XS', 'S', 'M', 'L']),
  type('Cat Water Fountain', HOME, 100006664, 'Pet Products', [10, 30], ['Automatic', 'Filter', 'Ultra Quiet', 'LED'], ['2.5L', '3L']),
  type('Electric Lunch Box', APPLIANCES, 100000306, 'Kitchen Appliances', [12, 35], ['Heated', 'Food Warmer', 'Portable', 'Stainless Steel'], ['12V 24V 220V', '1.5L']),
  type('Galaxy Star Projector', LIGHTS, 39050508, 'Night Lights', [10, 35], ['Night Light', 'Nebula', 'Remote Control', 'Bluetooth Speaker'], ['Astronaut', 'Dinosaur']),
  type('Knee Brace', SPORTS, 200001095, 'Sports Safety', [3, 12], ['Compression', 'Patella Support', 'Meniscus', 'Running'], ['S', 'M', 'L', 'XL']),
  type('Phone Tripod', PHONES, 200084017, 'Mobile Phone Accessories', [4, 16], ['Bluetooth Remote', 'Selfie Stick', 'Extendable', 'Stable'], ['1.3M', '1.6M']),
  type('Vegetable Chopper', HOME, 100004807, 'Kitchen, Dining & Bar', [6, 22], ['Multifunctional', 'Slicer', 'Dicer', 'Kitchen Gadget'], ['14 in 1', '16 in 1']),
  type('Shower Head', HOME, 100004850, 'Bathroom Fixtures', [4, 18], ['High Pressure', 'Water Saving', 'Filter', 'Rainfall'], ['3 Modes', '6 Modes']),
  type('Wireless Charger', PHONES, 200084017, 'Mobile Phone Accessories', [6, 25], ['Fast Charging', '3 in 1', 'for iPhone AirPods Watch', 'Stand'], ['15W', '30W']),
  type('Car Seat Gap Filler', CAR, 200003411, 'Interior Accessories', [3, 12], ['PU Leather', 'Organizer', 'Storage Box', 'Universal'], ['1PC', '2PCS']),
  type('Nail Drill Machine', HEALTH, 660302, 'Nail Art Tools', [8, 35], ['Electric', 'Manicure', 'Pedicure', 'Professional'], ['35000RPM', '45000RPM']),
  type('Facial Cleansing Brush', HEALTH, 660110, 'Skin Care Tools', [4, 18], ['Silicone', 'Sonic', 'Waterproof', 'Electric'], ['USB', 'Rechargeable']),
  type('Blackhead Remover Vacuum', HEALTH, 660110, 'Skin Care Tools', [5, 18], ['Pore Cleaner', 'USB', 'Face', 'Acne'], ['5 Suction Heads', '6 Heads']),
  type('Foot Massager', HEALTH, 200001400, 'Massage & Relaxation', [20, 70], ['Electric', 'Shiatsu', 'Heating', 'Blood Circulation'], ['EU Plug', 'US Plug']),
  type('Bluetooth Speaker', ELECTRONICS, 200084020, 'Portable Speakers', [8, 35], ['Portable', 'Waterproof', 'Bass', 'RGB', 'TWS'], ['20W', '40W']),
  type('Jewelry Box', JEWELRY, 1509010, 'Jewelry Packaging & Display', [3, 15], ['Travel', 'Portable', 'Leather', 'Earrings Rings Necklace'], ['Small', 'Large']),
  type('Magnetic Eyelashes', HEALTH, 660103, 'Makeup Tools', [2, 9], ['3D Mink', 'Natural', 'Eyeliner Kit', 'Waterproof', 'Reusable'], ['5 Pairs', '10 Pairs']),
  type('Dash Cam', CAR, 200003384, 'Car Electronics', [15, 50], ['Car DVR', 'Full HD 1080P', 'Night Vision', 'Wide Angle', 'G-Sensor'], ['3 Inch', '4 Inch']),
  type('Acupressure Mat', HEALTH, 200001400, 'Massage & Relaxation', [10, 30], ['Yoga', 'Pillow Set', 'Back Pain Relief', 'Spike'], ['Mat + Pillow']),
  type('Electric Milk Frother', APPLIANCES, 100000306, 'Kitchen Appliances', [2, 10], ['Handheld', 'Coffee Foam', 'USB Rechargeable', 'Stainless Steel'], ['3 Speeds']),
]
