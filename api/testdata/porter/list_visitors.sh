curl -X GET https://yourapp.portervisitors.com/api/v1/visitors \
-H "X-API-Key: your_api_key_here" \
-H "Content-Type: application/json"
