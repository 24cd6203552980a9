"""Rows and photos the dataset tests share."""

from PIL import Image

HUB_FASHIONPEDIA = "detection-datasets/fashionpedia"
PRODUCT_COLUMNS = ("id", "gender", "masterCategory", "subCategory", "articleType", "baseColour", "season", "year", "usage",
                   "productDisplayName")
# Rows in the layout of ashraq/fashion-product-images-small (values as the real dataset spells them).
PRODUCTS = [
    (15970, "Men", "Apparel", "Topwear", "Shirts", "Navy Blue", "Fall", 2011, "Casual", "Turtle Check Men Navy Blue Shirt"),
    (39386, "Women", "Apparel", "Dress", "Dresses", "Off White", "Summer", 2012, "Party",
     "Vero Moda Women Off White Printed Floral Dress"),
    (59263, "Unisex", "Personal Care", "Fragrance", "Perfume and Body Mist", "Black", "Spring", 2017, "Casual",
     "Davidoff Cool Water Eau de Toilette"),
    (21379, "Boys", "Footwear", "Shoes", "Sports Shoes", "Grey Melange", "Summer", 2012, "Sports",
     "Nike Boys Grey Melange Sports Shoes"),
    (53759, "Girls", "Accessories", "Bags", "Handbags", "Multi", "Winter", 2016, "Casual", "Lino Perros Girls Leather Handbag"),
]


def photo(path, color=(200, 40, 40), size=(48, 48)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


# The 46 baseColour values of the real product dataset.
REAL_BASE_COLOURS = (
    "Beige", "Black", "Blue", "Bronze", "Brown", "Burgundy", "Charcoal", "Coffee Brown", "Copper", "Cream",
    "Fluorescent Green", "Gold", "Green", "Grey", "Grey Melange", "Khaki", "Lavender", "Lime Green", "Magenta", "Maroon",
    "Mauve", "Metallic", "Multi", "Mushroom Brown", "Mustard", "Navy Blue", "Nude", "Off White", "Olive", "Orange", "Peach",
    "Pink", "Purple", "Red", "Rose", "Rust", "Sea Green", "Silver", "Skin", "Steel", "Tan", "Taupe", "Teal",
    "Turquoise Blue", "White", "Yellow",
)
