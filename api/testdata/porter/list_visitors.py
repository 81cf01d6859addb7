import requests
response = requests.get(
"https://yourapp.portervisitors.com/api/v1/visitors",
headers={
"X-API-Key": "your_api_key_here",
"Content-Type": "application/json",
},
)
data = response.json()
print(data["visitors"])
